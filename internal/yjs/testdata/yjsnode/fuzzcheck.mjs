// Runs fuzz-corpus inputs through real yjs so Go can compare.
// stdin: {"updates":[hex...], "orders":[{"scenario":n,"order":[...]}...]}
// stdout: {"updates":[{"ok":bool,"state":hex,"json":str,"sv":hex}], "orders":[{"json","sv","state"}]}
import * as Y from 'yjs'
import { readFileSync } from 'node:fs'
import { readScenarios, getRoots, docState } from './common.mjs'

console.log = console.warn = console.error = () => {} // yjs logs client-id changes
const input = JSON.parse(readFileSync(0, 'utf8'))
const hex = (u) => Buffer.from(u).toString('hex')
const snap = (d) => ({ json: docState(d), sv: hex(Y.encodeStateVector(d)), state: hex(Y.encodeStateAsUpdate(d)) })
const out = { updates: [], orders: [] }
for (const h of input.updates) {
  const d = new Y.Doc(); d.clientID = 1; getRoots(d)
  try {
    Y.applyUpdate(d, Buffer.from(h, 'hex'))
    out.updates.push({ ok: true, ...snap(d) })
  } catch (e) {
    out.updates.push({ ok: false, error: String(e && e.message) })
  }
}
const ss = input.orders.length > 0 ? readScenarios('../differential/yjs-scenarios.bin.gz') : []
for (const o of input.orders) {
  const s = ss[o.scenario]
  const d = new Y.Doc({ gc: s.gc }); d.clientID = 4242; getRoots(d)
  const seen = new Set()
  for (const b of (o.order || [])) { const i = b % s.updates.length; seen.add(i); Y.applyUpdate(d, s.updates[i]) }
  s.updates.forEach((u, i) => { if (!seen.has(i)) Y.applyUpdate(d, u) })
  out.orders.push(snap(d))
}
process.stdout.write(JSON.stringify(out))
