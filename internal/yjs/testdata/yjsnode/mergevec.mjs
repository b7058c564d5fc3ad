// Records yjs mergeUpdates / diffUpdate / encodeStateVectorFromUpdate on the
// recorded sessions. Usage: node mergevec.mjs ../differential/yjs-scenarios.bin.gz ../differential/merge-vectors.bin.gz
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import { gzipSync } from 'node:zlib'
import { writeFileSync } from 'node:fs'
import { readScenarios, prng } from './common.mjs'

const [src, dst] = process.argv.slice(2)
const ss = readScenarios(src).slice(0, 400)
const r = prng(99)
const e = encoding.createEncoder()
encoding.writeVarUint(e, ss.length)
for (const s of ss) {
  // merge a random subset in delivery order (gaps make Skip structs)
  const pick = s.deliveries.filter(() => r.bool(0.7))
  encoding.writeVarUint(e, pick.length)
  for (const i of pick) encoding.writeVarUint(e, i)
  const merged = Y.mergeUpdates(pick.map(i => s.updates[i]))
  encoding.writeVarUint8Array(e, merged)
  const cp = s.checkpoints[0]
  encoding.writeVarUint8Array(e, Y.diffUpdate(merged, cp.sv))
  encoding.writeVarUint8Array(e, Y.encodeStateVectorFromUpdate(merged))
}
writeFileSync(dst, gzipSync(encoding.toUint8Array(e), { level: 9 }))
console.log(`wrote ${ss.length} merge vectors`)
