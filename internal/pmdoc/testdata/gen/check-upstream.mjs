// Verifies that schema.mjs reproduces upstream's golden vectors exactly.
import fs from 'node:fs'
import path from 'node:path'
import * as Y from 'yjs'
import { prosemirrorToYXmlFragment, yXmlFragmentToProseMirrorRootNode } from 'y-prosemirror'
import { parseMarkdownToDoc, serializeDocToMarkdown, editorSchema } from './schema.mjs'
import { isDeepStrictEqual } from 'node:util'

const dir = process.argv[2]
const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'))
let bad = 0
for (const v of manifest.vectors) {
  const md = fs.readFileSync(path.join(dir, v.name + '.md'), 'utf8')
  const doc = parseMarkdownToDoc(md)
  const pm = JSON.parse(fs.readFileSync(path.join(dir, v.name + '.pm.json'), 'utf8'))
  const canon = fs.readFileSync(path.join(dir, v.name + '.canonical.md'), 'utf8')
  const out = serializeDocToMarkdown(doc)
  const ydoc = new Y.Doc(); ydoc.clientID = 1
  ydoc.transact(() => prosemirrorToYXmlFragment(doc, ydoc.getXmlFragment('default')))
  const bin = Buffer.from(Y.encodeStateAsUpdate(ydoc))
  const want = fs.readFileSync(path.join(dir, v.name + '.ydoc.bin'))
  const y2 = new Y.Doc(); Y.applyUpdate(y2, want)
  const wb = serializeDocToMarkdown(yXmlFragmentToProseMirrorRootNode(y2.getXmlFragment('default'), editorSchema))
  const errs = []
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(doc.toJSON())), pm)) errs.push('pm')
  if (out !== canon) errs.push('canonical ' + JSON.stringify(out) + ' want ' + JSON.stringify(canon))
  if (!bin.equals(want)) errs.push('ydoc')
  if (wb !== (v.yjsWriteback ?? canon)) errs.push('writeback ' + JSON.stringify(wb))
  if (errs.length) { bad++; console.log(v.name, errs.join('; ')) }
}
console.log(`${manifest.vectors.length - bad} passed, ${bad} failed`)
process.exit(bad ? 1 : 0)
