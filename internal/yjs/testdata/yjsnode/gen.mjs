// Generates random multi-client editing sessions with real yjs and records
// the updates, a shuffled/duplicated delivery order and the states a fresh
// peer reaches (JSON, state vector, encodeStateAsUpdate). Usage:
//   node gen.mjs <count> <seed> <out.bin.gz>
import * as Y from 'yjs'
import { prng, getRoots, docState, writeScenarios } from './common.mjs'

const [count = '1000', seed0 = '1', out = '../differential/yjs-scenarios.bin.gz'] = process.argv.slice(2)

const CHARS = ['a', 'b', 'c', 'd', 'e', ' ', 'x', 'y', 'é', '😀', '𝄞', '\n', 'ü', '中']
const KEYS = ['a', 'b', 'c', 'key', '1', '02', 'title', 'x y']
const MARKS = ['bold', 'italic', 'link', 'code', '1']

const randString = (r, maxLen = 6) => {
  let s = ''
  const n = r.int(1, maxLen)
  for (let i = 0; i < n; i++) s += r.pick(CHARS)
  return s
}

const randAny = (r, depth = 0) => {
  switch (r.int(0, depth > 1 ? 5 : 8)) {
    case 0: return r.int(-100, 100000)
    case 1: return r.pick([0.5, -1.25, 1e21, 3.14159, 2 ** 31, -(2 ** 31), 1e-7, 123456.789])
    case 2: return randString(r)
    case 3: return r.bool()
    case 4: return null
    case 5: return r.int(0, 2 ** 31 - 1)
    case 6: { const o = {}; const n = r.int(0, 3); for (let i = 0; i < n; i++) o[r.pick(KEYS)] = randAny(r, depth + 1); return o }
    case 7: { const a = []; const n = r.int(0, 3); for (let i = 0; i < n; i++) a.push(randAny(r, depth + 1)); return a }
    default: return new Uint8Array([r.int(0, 255), r.int(0, 255)])
  }
}

const randAttrs = (r) => {
  const a = {}
  const n = r.int(0, 2)
  for (let i = 0; i < n; i++) {
    const m = r.pick(MARKS)
    a[m] = r.pick([true, null, {}, { href: 'https://x.org/' + r.int(0, 3), title: null }, r.int(1, 3)])
  }
  return a
}

const randTextContent = (r, t) => {
  const n = r.int(1, 3)
  for (let i = 0; i < n; i++) {
    const idx = r.int(0, t.length)
    if (r.bool(0.6)) t.insert(idx, randString(r), r.bool(0.5) ? randAttrs(r) : undefined)
    else t.insert(idx, randString(r))
  }
}

// a preliminary XML subtree as y-prosemirror builds one
const randXmlNode = (r, depth) => {
  if (depth > 2 || r.bool(0.35)) {
    const t = new Y.XmlText()
    const delta = []
    const n = r.int(1, 3)
    for (let i = 0; i < n; i++) {
      const op = { insert: randString(r) }
      if (r.bool(0.5)) op.attributes = randAttrs(r)
      delta.push(op)
    }
    t.applyDelta(delta)
    return t
  }
  const el = new Y.XmlElement(r.pick(['paragraph', 'heading', 'list_item', 'civicRef', 'Blockquote']))
  const na = r.int(0, 2)
  for (let i = 0; i < na; i++) el.setAttribute(r.pick(KEYS), randAny(r, 2))
  const kids = []
  const nk = r.int(0, 3)
  for (let i = 0; i < nk; i++) kids.push(randXmlNode(r, depth + 1))
  el.insert(0, kids)
  return el
}

// collect the XmlElements and XmlTexts reachable in a fragment
const xmlNodes = (frag) => {
  const els = []
  const texts = []
  const walk = (t) => {
    for (const c of t.toArray()) {
      if (c instanceof Y.XmlElement) { els.push(c); walk(c) } else if (c instanceof Y.XmlText) texts.push(c)
    }
  }
  walk(frag)
  return { els, texts }
}

const textOp = (r, t) => {
  const len = t.length
  const k = r.int(0, 9)
  if (k < 4 || len === 0) {
    const attrs = r.bool(0.4) ? randAttrs(r) : undefined
    t.insert(r.int(0, len), randString(r), attrs)
  } else if (k < 6) {
    const i = r.int(0, len - 1)
    t.delete(i, r.int(1, Math.min(4, len - i)))
  } else if (k < 9) {
    const i = r.int(0, len - 1)
    t.format(i, r.int(1, Math.min(6, len - i)), randAttrs(r))
  } else {
    t.insertEmbed(r.int(0, len), { image: 'i' + r.int(0, 9) }, r.bool(0.5) ? randAttrs(r) : undefined)
  }
}

const randValue = (r) => {
  const k = r.int(0, 9)
  if (k === 0) { const m = new Y.Map(); m.set('k', randAny(r, 1)); return m }
  if (k === 1) { const a = new Y.Array(); a.insert(0, [randAny(r, 1), randAny(r, 1)]); return a }
  if (k === 2) return new Y.Text(randString(r))
  return randAny(r)
}

const step = (r, doc) => {
  const frag = doc.getXmlFragment('xml')
  const text = doc.getText('text')
  const map = doc.getMap('map')
  const arr = doc.getArray('arr')
  switch (r.int(0, 9)) {
    case 0: case 1: {
      const idx = r.int(0, frag.length)
      const nodes = []
      const n = r.int(1, 2)
      for (let i = 0; i < n; i++) nodes.push(randXmlNode(r, 0))
      frag.insert(idx, nodes)
      break
    }
    case 2: {
      const { els, texts } = xmlNodes(frag)
      const k = r.int(0, 3)
      if (k === 0 && frag.length > 0) {
        const i = r.int(0, frag.length - 1)
        frag.delete(i, r.int(1, Math.min(2, frag.length - i)))
      } else if (k === 1 && els.length > 0) {
        const el = r.pick(els)
        if (r.bool(0.7)) el.setAttribute(r.pick(KEYS), randAny(r, 1)); else el.removeAttribute(r.pick(KEYS))
      } else if (k === 2 && els.length > 0) {
        const el = r.pick(els)
        if (el.length > 0 && r.bool(0.4)) el.delete(r.int(0, el.length - 1), 1)
        else el.insert(r.int(0, el.length), [randXmlNode(r, 2)])
      } else if (texts.length > 0) {
        textOp(r, r.pick(texts))
      }
      break
    }
    case 3: case 4: case 5: textOp(r, text); break
    case 6: case 7: {
      if (r.bool(0.75)) map.set(r.pick(KEYS), randValue(r)); else map.delete(r.pick(KEYS))
      break
    }
    default: {
      const len = arr.length
      if (len > 0 && r.bool(0.35)) {
        const i = r.int(0, len - 1)
        arr.delete(i, r.int(1, Math.min(3, len - i)))
      } else {
        const vals = []
        const n = r.int(1, 3)
        for (let i = 0; i < n; i++) vals.push(randValue(r))
        arr.insert(r.int(0, len), vals)
      }
    }
  }
}

const shuffle = (r, a) => {
  for (let i = a.length - 1; i > 0; i--) {
    const j = r.int(0, i)
    ;[a[i], a[j]] = [a[j], a[i]]
  }
  return a
}

const scenario = (seed) => {
  const r = prng(seed)
  const nClients = r.int(2, 4)
  const gc = r.bool(0.85)
  const docs = []
  const updates = []
  const inbox = [] // per client: update indices not yet delivered
  for (let i = 0; i < nClients; i++) {
    const doc = new Y.Doc({ gc })
    doc.clientID = r.bool(0.3) ? i + 1 : r.int(1, 2 ** 32 - 1)
    getRoots(doc)
    const me = i
    doc.on('update', (u, origin) => {
      if (origin === 'remote') return
      const idx = updates.length
      updates.push(u)
      for (let j = 0; j < nClients; j++) if (j !== me) inbox[j].push(idx)
    })
    docs.push(doc)
    inbox.push([])
  }
  const steps = r.int(4, 30)
  for (let s = 0; s < steps; s++) {
    const c = r.int(0, nClients - 1)
    const doc = docs[c]
    const nops = r.int(1, 3)
    doc.transact(() => { for (let i = 0; i < nops; i++) step(r, doc) })
    if (r.bool(0.5)) {
      // deliver part of someone's inbox, shuffled, sometimes duplicated
      const to = r.int(0, nClients - 1)
      const box = inbox[to]
      const n = r.int(0, box.length)
      const sel = shuffle(r, box.splice(0, box.length)).slice(0)
      const deliver = sel.slice(0, n)
      inbox[to] = sel.slice(n)
      for (const idx of deliver) {
        Y.applyUpdate(docs[to], updates[idx], 'remote')
        if (r.bool(0.1)) Y.applyUpdate(docs[to], updates[idx], 'remote')
      }
    }
  }
  // a fresh peer receives everything, shuffled, with duplicates and a delayed tail
  const deliveries = shuffle(r, updates.map((_, i) => i))
  const dups = r.int(0, Math.min(5, updates.length))
  for (let i = 0; i < dups; i++) deliveries.splice(r.int(0, deliveries.length), 0, r.int(0, updates.length - 1))
  const obs = new Y.Doc({ gc })
  obs.clientID = 4000000000 + seed
  getRoots(obs)
  const cpos = new Set([deliveries.length, r.int(0, deliveries.length), r.int(0, deliveries.length)])
  const checkpoints = []
  for (let i = 0; i <= deliveries.length; i++) {
    if (cpos.has(i)) checkpoints.push({ pos: i, json: docState(obs), sv: Y.encodeStateVector(obs), state: Y.encodeStateAsUpdate(obs) })
    if (i < deliveries.length) Y.applyUpdate(obs, updates[deliveries[i]], 'replay')
  }
  return { name: 'seed-' + seed, gc, updates, deliveries, checkpoints }
}

const scenarios = []
for (let i = 0; i < Number(count); i++) scenarios.push(scenario(Number(seed0) + i))
writeScenarios(out, scenarios)
let nu = 0
for (const s of scenarios) nu += s.updates.length
console.log(`wrote ${scenarios.length} scenarios, ${nu} updates to ${out}`)
