// Converts recorded sessions to update format v2 with yjs, for the Go v2
// decoder tests. Usage: node v2vec.mjs ../differential/yjs-scenarios.bin.gz ../differential/v2-scenarios.bin.gz
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import { gzipSync } from 'node:zlib'
import { writeFileSync } from 'node:fs'
import { readScenarios, getRoots } from './common.mjs'

const [src, dst] = process.argv.slice(2)
const ss = readScenarios(src).slice(0, 300)
const e = encoding.createEncoder()
encoding.writeVarUint(e, ss.length)
for (const s of ss) {
  encoding.writeVarUint(e, s.updates.length)
  for (const u of s.updates) encoding.writeVarUint8Array(e, Y.convertUpdateFormatV1ToV2(u))
  const d = new Y.Doc({ gc: s.gc }); getRoots(d)
  for (const i of s.deliveries) Y.applyUpdate(d, s.updates[i])
  const v2 = Y.encodeStateAsUpdateV2(d)
  encoding.writeVarUint8Array(e, v2)
  encoding.writeVarUint8Array(e, Y.convertUpdateFormatV2ToV1(v2))
  encoding.writeVarUint8Array(e, Y.encodeSnapshot(Y.snapshot(d)))
}
writeFileSync(dst, gzipSync(encoding.toUint8Array(e), { level: 9 }))
console.log(`wrote ${ss.length} scenarios in v2`)
