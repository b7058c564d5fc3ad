// Shared helpers for the yjs differential harness (binary record format, PRNG).
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import { gzipSync, gunzipSync } from 'node:zlib'
import { readFileSync, writeFileSync } from 'node:fs'

// mulberry32: small deterministic PRNG
export const prng = (seed) => {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), // inclusive
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    bool: (p = 0.5) => next() < p
  }
}

export const ROOTS = ['xml', 'text', 'map', 'arr']

// the readable state of a document, as one JSON string
export const docState = (doc) => {
  const text = doc.getText('text')
  return JSON.stringify({
    xml: doc.getXmlFragment('xml').toJSON(),
    text: text.toJSON(),
    textDelta: text.toDelta(),
    map: doc.getMap('map').toJSON(),
    arr: doc.getArray('arr').toJSON()
  })
}

export const getRoots = (doc) => {
  doc.getXmlFragment('xml'); doc.getText('text'); doc.getMap('map'); doc.getArray('arr')
}

// Scenario file: gzip( "YJSDIFF1" varUint(n) scenario* )
// scenario: varString(name) varUint(gc) varUint(nUpdates) varUint8Array* varUint(nDeliveries) varUint*
//           varUint(nCheckpoints) (varUint(pos) varString(json) varUint8Array(sv) varUint8Array(state))*
// A checkpoint at pos holds the state after the first pos deliveries.
export const writeScenarios = (path, scenarios) => {
  const e = encoding.createEncoder()
  encoding.writeUint8Array(e, new TextEncoder().encode('YJSDIFF1'))
  encoding.writeVarUint(e, scenarios.length)
  for (const s of scenarios) {
    encoding.writeVarString(e, s.name)
    encoding.writeVarUint(e, s.gc ? 1 : 0)
    encoding.writeVarUint(e, s.updates.length)
    for (const u of s.updates) encoding.writeVarUint8Array(e, u)
    encoding.writeVarUint(e, s.deliveries.length)
    for (const d of s.deliveries) encoding.writeVarUint(e, d)
    encoding.writeVarUint(e, s.checkpoints.length)
    for (const c of s.checkpoints) {
      encoding.writeVarUint(e, c.pos)
      encoding.writeVarString(e, c.json)
      encoding.writeVarUint8Array(e, c.sv)
      encoding.writeVarUint8Array(e, c.state)
    }
  }
  writeFileSync(path, gzipSync(encoding.toUint8Array(e), { level: 9 }))
}

export const readScenarios = (path) => {
  const d = decoding.createDecoder(gunzipSync(readFileSync(path)))
  const magic = new TextDecoder().decode(decoding.readUint8Array(d, 8))
  if (magic !== 'YJSDIFF1') throw new Error('bad magic ' + magic)
  const n = decoding.readVarUint(d)
  const out = []
  for (let i = 0; i < n; i++) {
    const s = { name: decoding.readVarString(d), gc: decoding.readVarUint(d) === 1, updates: [], deliveries: [], checkpoints: [] }
    const nu = decoding.readVarUint(d)
    for (let j = 0; j < nu; j++) s.updates.push(decoding.readVarUint8Array(d))
    const nd = decoding.readVarUint(d)
    for (let j = 0; j < nd; j++) s.deliveries.push(decoding.readVarUint(d))
    const nc = decoding.readVarUint(d)
    for (let j = 0; j < nc; j++) {
      s.checkpoints.push({ pos: decoding.readVarUint(d), json: decoding.readVarString(d), sv: decoding.readVarUint8Array(d), state: decoding.readVarUint8Array(d) })
    }
    out.push(s)
  }
  return out
}

// replay applies a scenario's deliveries to a fresh doc and returns the checkpoints it reaches
export const replay = (s, clientID) => {
  const doc = new Y.Doc({ gc: s.gc })
  doc.clientID = clientID
  getRoots(doc)
  const cps = []
  const want = new Set(s.checkpoints.map(c => c.pos))
  for (let i = 0; i <= s.deliveries.length; i++) {
    if (want.has(i)) {
      cps.push({ pos: i, json: docState(doc), sv: Y.encodeStateVector(doc), state: Y.encodeStateAsUpdate(doc) })
    }
    if (i < s.deliveries.length) Y.applyUpdate(doc, s.updates[s.deliveries[i]], 'replay')
  }
  return cps
}

export const eqBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i])
