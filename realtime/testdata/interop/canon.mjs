// canon.mjs prints upstream's canonical Markdown of a Yjs document (base64
// update on stdin): y-prosemirror reads fragment "default" into the editor
// schema and prosemirror-markdown serializes it, with the schema rebuild and
// npm versions of internal/pmdoc's vector generator (its node_modules must
// be installed: npm ci in internal/pmdoc/testdata/gen).
import { readFileSync } from 'node:fs'
const gen = new URL('../../../internal/pmdoc/testdata/gen/', import.meta.url)
const Y = await import(new URL('node_modules/yjs/dist/yjs.mjs', gen))
const { yXmlFragmentToProseMirrorRootNode } = await import(new URL('node_modules/y-prosemirror/src/y-prosemirror.js', gen))
const { editorSchema, serializeDocToMarkdown } = await import(new URL('schema.mjs', gen))
const doc = new Y.Doc()
Y.applyUpdate(doc, Buffer.from(readFileSync(0, 'utf8').trim(), 'base64'))
process.stdout.write(serializeDocToMarkdown(yXmlFragmentToProseMirrorRootNode(doc.getXmlFragment('default'), editorSchema)))
