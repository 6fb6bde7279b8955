#!/usr/bin/env node
import module from 'node:module'

// Node's on-disk compile cache (Node 22.1+; it does nothing where it cannot write, and
// NODE_DISABLE_COMPILE_CACHE=1 turns it off): from the second run on, the CLI and what it loads
// (core, the adapter, the driver's JavaScript) start from V8's cached code instead of being compiled
// again, a good part of a short command's start-up. Enabled before anything else loads, so the
// command itself is a dynamic import.
module.enableCompileCache?.()
await import('./cli.js')
