#!/usr/bin/env node
// Launcher for `kith`: runs src/cli/main.ts on the project's Node 24 (the system node may be
// older), passing the arguments through and exiting with the CLI's exit code.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url))
const major = Number(process.versions.node.split('.')[0])

if (major >= 24) {
  // Already a Node that runs TypeScript: no second process needed.
  const cli = await import(pathToFileURL(main).href)
  await cli.main(process.argv.slice(2))
} else {
  const node = [`${root}node_modules/node/bin/node`, `${root}node_modules/.bin/node`].find((p) =>
    existsSync(p),
  )
  if (node === undefined) {
    process.stderr.write(
      'error: Node 24 not found in node_modules; run "npm ci" in ' + root + ' [NODE_24_MISSING]\n',
    )
    process.exit(1)
  }
  const child = spawn(node, [main, ...process.argv.slice(2)], { stdio: 'inherit' })
  // A terminal's Ctrl-C reaches the whole foreground process group, the child included:
  // forwarding it as well would count as a second Ctrl-C (the child's forced exit). Any other
  // SIGINT (`kill -INT <pid>` of a background launcher, a script) and every SIGTERM/SIGHUP was
  // sent to this launcher alone, so it is passed on.
  process.on('SIGINT', () => {
    if (!inTerminalForeground()) child.kill('SIGINT')
  })
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
  child.on('error', (err) => {
    process.stderr.write(`error: cannot run ${node}: ${err.message} [NODE_24_MISSING]\n`)
    process.exit(1)
  })
  child.on('exit', (code, signal) => {
    if (signal !== null) {
      // Die of the same signal so the shell reports it the usual way.
      process.removeAllListeners(signal)
      process.kill(process.pid, signal)
    }
    process.exit(code ?? 1)
  })
}

/**
 * Whether this process is in its terminal's foreground process group (where a Ctrl-C lands):
 * Linux /proc/self/stat fields pgrp and tpgid; elsewhere a terminal on stdin is the best guess.
 */
function inTerminalForeground() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // state ppid pgrp session tty_nr tpgid …
    return fields[2] === fields[5]
  } catch {
    return process.stdin.isTTY === true
  }
}
