/** The crash scenarios by name. */
import { blockImportScenario, reorgScenario } from './chain-scenarios.ts'
import { contentScenario, gcScenario } from './content-scenarios.ts'
import type { ScenarioName, ScenarioRunner } from './scenario.ts'

export function scenarioByName(name: ScenarioName): ScenarioRunner<unknown> {
  const all: Record<ScenarioName, ScenarioRunner<unknown>> = {
    'block-import': blockImportScenario,
    reorg: reorgScenario,
    content: contentScenario,
    gc: gcScenario,
  }
  return all[name]
}
