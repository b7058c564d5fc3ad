// Emits vectors into ../generated in the layout of shared/vectors/editor
// (see its README). First checks that schema.mjs reproduces upstream's own
// vectors in ../upstream, so a wrong rebuild can never write a vector.
//
//   npm ci && node generate.mjs
import fs from 'node:fs'
import path from 'node:path'
import crypto from 'node:crypto'
import { isDeepStrictEqual } from 'node:util'
import * as Y from 'yjs'
import { Node } from 'prosemirror-model'
import { prosemirrorToYXmlFragment, yXmlFragmentToProseMirrorRootNode } from 'y-prosemirror'
import { parseMarkdownToDoc, serializeDocToMarkdown, editorSchema } from './schema.mjs'
import cases from './cases.mjs'
import docCases from './doc-cases.mjs'
import editCases from './edit-cases.mjs'
import { updateYFragment } from 'y-prosemirror'

const here = path.dirname(new URL(import.meta.url).pathname)
const upstreamDir = path.join(here, '..', 'upstream')
const outDir = path.join(here, '..', 'generated')

function seed(doc) {
  const ydoc = new Y.Doc()
  ydoc.clientID = 1
  ydoc.transact(() => prosemirrorToYXmlFragment(doc, ydoc.getXmlFragment('default')))
  return Buffer.from(Y.encodeStateAsUpdate(ydoc))
}

function writeback(bin) {
  const ydoc = new Y.Doc()
  Y.applyUpdate(ydoc, bin)
  return serializeDocToMarkdown(yXmlFragmentToProseMirrorRootNode(ydoc.getXmlFragment('default'), editorSchema))
}

function dumpType(t) {
  if (t instanceof Y.XmlElement) {
    return { kind: 'XmlElement', nodeName: t.nodeName, attributes: t.getAttributes(), children: t.toArray().map(dumpType) }
  }
  return { kind: 'XmlText', length: t.length, delta: t.toDelta() }
}

function ytree(bin) {
  const ydoc = new Y.Doc()
  Y.applyUpdate(ydoc, bin)
  const frag = ydoc.getXmlFragment('default')
  return { fragment: 'default', clientID: 1, toJSON: frag.toJSON(), children: frag.toArray().map(dumpType) }
}

// 1. The rebuild must reproduce upstream's vectors byte for byte.
const um = JSON.parse(fs.readFileSync(path.join(upstreamDir, 'manifest.json'), 'utf8'))
for (const v of um.vectors) {
  const read = (ext) => fs.readFileSync(path.join(upstreamDir, v.name + ext))
  const doc = parseMarkdownToDoc(read('.md').toString('utf8'))
  const ok = isDeepStrictEqual(JSON.parse(JSON.stringify(doc.toJSON())), JSON.parse(read('.pm.json')))
    && serializeDocToMarkdown(doc) === read('.canonical.md').toString('utf8')
    && seed(doc).equals(read('.ydoc.bin'))
    && writeback(read('.ydoc.bin')) === (v.yjsWriteback ?? read('.canonical.md').toString('utf8'))
  if (!ok) { console.error('rebuild does not reproduce upstream vector', v.name); process.exit(1) }
}

fs.rmSync(outDir, { recursive: true, force: true })
fs.mkdirSync(outDir, { recursive: true })
const versions = { node: process.version }
for (const p of ['markdown-it', 'linkify-it', 'mdurl', 'uc.micro', 'entities', 'punycode.js', 'prosemirror-markdown',
  'prosemirror-model', 'prosemirror-schema-basic', 'prosemirror-schema-list', 'prosemirror-state', 'prosemirror-tables',
  'prosemirror-transform', 'prosemirror-view', 'prosemirror-keymap', 'orderedmap', 'y-prosemirror', 'y-protocols', 'yjs', 'lib0']) {
  versions[p] = JSON.parse(fs.readFileSync(path.join(here, 'node_modules', p, 'package.json'), 'utf8')).version
}

const manifest = { generator: 'internal/pmdoc/testdata/gen (schema rebuilt from editor-schema.md, checked against upstream vectors)', clientID: 1, versions, vectors: [], docs: [], edits: [] }
const w = (name, ext, data) => fs.writeFileSync(path.join(outDir, name + ext), data)

for (const c of cases) {
  const doc = parseMarkdownToDoc(c.md)
  const canon = serializeDocToMarkdown(doc)
  const doc2 = parseMarkdownToDoc(canon)
  const canon2 = serializeDocToMarkdown(doc2)
  const bin = seed(doc)
  const wb = writeback(bin)
  w(c.name, '.md', c.md)
  w(c.name, '.canonical.md', canon)
  w(c.name, '.pm.json', JSON.stringify(doc.toJSON(), null, 2) + '\n')
  w(c.name, '.ydoc.bin', bin)
  w(c.name, '.ytree.json', JSON.stringify(ytree(bin), null, 2) + '\n')
  const entry = {
    name: c.name,
    description: c.description,
    canonicalIsFixedPoint: canon2 === canon,
    pmJsonStableOnSecondPass: isDeepStrictEqual(doc2.toJSON(), doc.toJSON()),
    yjsWritebackEqualsCanonical: wb === canon,
    ydocBinSha256: crypto.createHash('sha256').update(bin).digest('hex'),
    ydocBinBytes: bin.length,
  }
  if (canon2 !== canon) entry.secondPassCanonical = canon2
  if (wb !== canon) entry.yjsWriteback = wb
  manifest.vectors.push(entry)
}

// 2. Editor-made documents (PM JSON that Markdown cannot produce).
for (const c of docCases) {
  const doc = Node.fromJSON(editorSchema, c.doc)
  let canon = null, err = null
  try { canon = serializeDocToMarkdown(doc) } catch (e) { err = String(e.message) }
  const bin = seed(doc)
  let wb = null, wbErr = null
  try { wb = writeback(bin) } catch (e) { wbErr = String(e.message) }
  w(c.name, '.doc.json', JSON.stringify(c.doc, null, 2) + '\n')
  w(c.name, '.ydoc.bin', bin)
  if (canon !== null) w(c.name, '.canonical.md', canon)
  const entry = { name: c.name, description: c.description, ydocBinBytes: bin.length }
  if (err) entry.serializeError = err
  if (canon !== null) {
    const reparsed = parseMarkdownToDoc(canon)
    entry.reparsedCanonical = serializeDocToMarkdown(reparsed)
  }
  if (wbErr) entry.writebackError = wbErr
  else entry.yjsWriteback = wb
  manifest.docs.push(entry)
}

// 3. Collaborative histories (see edit-cases.mjs).
const rawEdits = {
  tiptapBulletList(ydoc) {
    const frag = ydoc.getXmlFragment('default')
    const list = new Y.XmlElement('bulletList')
    const item = new Y.XmlElement('listItem')
    const p = new Y.XmlElement('paragraph')
    const t = new Y.XmlText(); t.insert(0, 'tiptap item')
    p.insert(0, [t]); item.insert(0, [p]); list.insert(0, [item])
    frag.insert(frag.length, [list])
  },
  unknownMark(ydoc) {
    const frag = ydoc.getXmlFragment('default')
    const p = new Y.XmlElement('paragraph')
    const t = new Y.XmlText(); t.insert(0, 'plain '); t.insert(6, 'bolded', { bold: {} })
    p.insert(0, [t]); frag.insert(frag.length, [p])
  },
  codeWithStrong(ydoc) {
    const frag = ydoc.getXmlFragment('default')
    const c = new Y.XmlElement('code_block')
    c.setAttribute('params', '')
    const t = new Y.XmlText(); t.insert(0, 'let x = 1', { strong: {} })
    c.insert(0, [t]); frag.insert(frag.length, [c])
  },
  topLevelText(ydoc) {
    const frag = ydoc.getXmlFragment('default')
    const t = new Y.XmlText(); t.insert(0, 'stray text')
    frag.insert(frag.length, [t])
  },
  itemHeadingFirst(ydoc) {
    const frag = ydoc.getXmlFragment('default')
    const list = new Y.XmlElement('bullet_list')
    const item = new Y.XmlElement('list_item')
    const h = new Y.XmlElement('heading'); h.setAttribute('level', 2)
    const t = new Y.XmlText(); t.insert(0, 'Item title')
    h.insert(0, [t]); item.insert(0, [h]); list.insert(0, [item])
    frag.insert(frag.length, [list])
  },
}

for (const c of editCases) {
  const clients = { A: new Y.Doc(), B: new Y.Doc() }
  clients.A.clientID = 10
  clients.B.clientID = 20
  const metas = { A: { mapping: new Map(), isOMark: new Map() }, B: { mapping: new Map(), isOMark: new Map() } }
  const seedDoc = parseMarkdownToDoc(c.seed)
  clients.A.transact(() => updateYFragment(clients.A, clients.A.getXmlFragment('default'), seedDoc, metas.A))
  Y.applyUpdate(clients.B, Y.encodeStateAsUpdate(clients.A))
  const sync = () => {
    const a = Y.encodeStateAsUpdate(clients.A, Y.encodeStateVector(clients.B))
    const b = Y.encodeStateAsUpdate(clients.B, Y.encodeStateVector(clients.A))
    Y.applyUpdate(clients.B, a)
    Y.applyUpdate(clients.A, b)
  }
  for (const st of c.steps) {
    if (st.sync) { sync(); continue }
    const d = clients[st.c]
    if (st.raw) { d.transact(() => rawEdits[st.raw](d)); continue }
    const pm = st.md.trim() === '' ? editorSchema.topNodeType.create() : parseMarkdownToDoc(st.md)
    d.transact(() => updateYFragment(d, d.getXmlFragment('default'), pm, metas[st.c]))
  }
  sync()
  const bin = Buffer.from(Y.encodeStateAsUpdate(clients.A))
  w(c.name, '.ydoc.bin', bin)
  const entry = { name: c.name, seed: c.seed, ydocBinBytes: bin.length }
  try {
    entry.yjsWriteback = writeback(bin)
  } catch (e) {
    entry.writebackError = String(e.message)
  }
  if (c.invalid) entry.invalidKeepsText = c.invalid
  manifest.edits.push(entry)
}

fs.writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n')
console.log(`wrote ${manifest.vectors.length} Markdown vectors, ${manifest.docs.length} document vectors and ${manifest.edits.length} edit histories to ${outDir}`)
