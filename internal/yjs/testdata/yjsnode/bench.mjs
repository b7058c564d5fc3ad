// Times yjs on the benchmark inputs (compare with go test -bench in internal/yjs).
// Usage: node --expose-gc bench.mjs ../bench
import * as Y from 'yjs'
import * as decoding from 'lib0/decoding'
import { gunzipSync } from 'node:zlib'
import { readFileSync } from 'node:fs'

const dir = process.argv[2] || '../bench'
const readUpdates = (path) => {
  const d = decoding.createDecoder(gunzipSync(readFileSync(path)))
  const n = decoding.readVarUint(d)
  const out = []
  for (let i = 0; i < n; i++) out.push(decoding.readVarUint8Array(d).slice())
  return out
}
const trace = readUpdates(dir + '/trace.bin.gz')
const [big] = readUpdates(dir + '/big.bin.gz')

const time = (name, runs, f, perOp = 1) => {
  f() // warm up
  const ts = []
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint()
    f()
    ts.push(Number(process.hrtime.bigint() - t0))
  }
  ts.sort((a, b) => a - b)
  const med = ts[Math.floor(ts.length / 2)]
  console.log(`${name.padEnd(34)} median ${(med / 1e6).toFixed(3).padStart(10)} ms   min ${(ts[0] / 1e6).toFixed(3).padStart(10)} ms` + (perOp > 1 ? `   ${(med / perOp).toFixed(0)} ns/update` : ''))
  return med
}
const heap = () => { global.gc(); global.gc(); return process.memoryUsage().heapUsed }

const applyTrace = (n = trace.length) => {
  const d = new Y.Doc()
  for (let i = 0; i < n; i++) Y.applyUpdate(d, trace[i])
  return d
}
time('apply 100k-update trace', 5, () => applyTrace(), trace.length)
const doc = applyTrace()
const sv90 = Y.encodeStateVector(applyTrace(90000))
time('encodeStateAsUpdate (trace doc)', 50, () => Y.encodeStateAsUpdate(doc))
time('diff vs state vector at 90%', 50, () => Y.encodeStateAsUpdate(doc, sv90))
time('decodeUpdate 1 MB', 20, () => Y.decodeUpdate(big))
time('applyUpdate 1 MB into empty doc', 20, () => { const d = new Y.Doc(); Y.applyUpdate(d, big) })
const bigDoc = new Y.Doc(); Y.applyUpdate(bigDoc, big)
time('encodeStateAsUpdate (1 MB doc)', 20, () => Y.encodeStateAsUpdate(bigDoc))

time('mergeUpdates (10k trace updates)', 5, () => Y.mergeUpdates(trace.slice(0, 10000)))

const h0 = heap()
const keep = applyTrace()
const h1 = heap()
const keep2 = new Y.Doc(); Y.applyUpdate(keep2, big)
const h2 = heap()
console.log(`heap per trace doc: ${((h1 - h0) / 1024 / 1024).toFixed(2)} MiB; per 1 MB doc: ${((h2 - h1) / 1024 / 1024).toFixed(2)} MiB (${keep.clientID > 0 && keep2.clientID > 0 ? 'kept' : ''})`)
console.log(`trace doc: ${Y.encodeStateAsUpdate(doc).length} bytes encoded, text ${doc.getXmlFragment('default').toString().length} chars`)
