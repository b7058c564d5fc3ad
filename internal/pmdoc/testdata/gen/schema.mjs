// Rebuild of upstream @civicpress/editor-schema as described in
// shared/upstream/editor-schema.md (§1–§4). Only the libraries are upstream's;
// this wiring follows the spec and is checked against upstream's own golden
// vectors (testdata/upstream) before any new vector is written.
import MarkdownIt from 'markdown-it'
import { Schema } from 'prosemirror-model'
import { schema as basic } from 'prosemirror-schema-basic'
import { addListNodes } from 'prosemirror-schema-list'
import { tableNodes } from 'prosemirror-tables'
import { MarkdownParser, MarkdownSerializer, defaultMarkdownSerializer } from 'prosemirror-markdown'

let nodes = addListNodes(basic.spec.nodes, 'paragraph block*', 'block')
nodes = nodes.update('code_block', {
  ...basic.spec.nodes.get('code_block'),
  attrs: { params: { default: '' } },
})
nodes = nodes.append(tableNodes({
  tableGroup: 'block',
  cellContent: 'block+',
  cellAttributes: { align: { default: null } },
}))
nodes = nodes.append({
  civicRef: {
    group: 'inline',
    inline: true,
    atom: true,
    attrs: { refType: { default: 'record' }, id: { default: '' }, label: { default: '' } },
    toDOM: (n) => ['span', { 'data-civic-ref': n.attrs.id }],
  },
})

export const editorSchema = new Schema({ nodes, marks: basic.spec.marks })

const CIVIC_REF_RE = /^<!--civic-ref\s+type="([^"]+)"\s+id="([^"]+)"\s+label="([^"]*)"-->$/
const REF_TYPES = new Set(['record', 'geography', 'attachment'])

function civicRefAttrs(content) {
  const m = CIVIC_REF_RE.exec(content.trim())
  if (!m) return null
  return {
    refType: REF_TYPES.has(m[1]) ? m[1] : 'record',
    id: m[2],
    label: m[3].replace(/&quot;/g, '"').replace(/&#45;&#45;/g, '--'),
  }
}

export const tokenizer = MarkdownIt('commonmark', { html: true }).enable('table')
tokenizer.core.ruler.push('civic_ref', (state) => {
  for (const tok of state.tokens) {
    if (tok.type !== 'inline' || !tok.children) continue
    for (const child of tok.children) {
      if (child.type === 'html_inline' && CIVIC_REF_RE.test(child.content)) {
        child.type = 'civic_ref'
        child.meta = civicRefAttrs(child.content)
      }
    }
  }
})
tokenizer.core.ruler.push('civic_table_cell_paragraph', (state) => {
  const out = []
  const toks = state.tokens
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]
    out.push(t)
    if ((t.type === 'th_open' || t.type === 'td_open') && toks[i + 1] && toks[i + 1].type === 'inline') {
      out.push(new state.Token('paragraph_open', 'p', 1))
      out.push(toks[i + 1])
      out.push(new state.Token('paragraph_close', 'p', -1))
      i++
    }
  }
  state.tokens = out
})

function cellAlign(tok) {
  const m = /text-align:(left|center|right)/.exec(tok.attrGet('style') || '')
  return { align: m ? m[1] : null }
}

export const parser = new MarkdownParser(editorSchema, tokenizer, {
  blockquote: { block: 'blockquote' },
  paragraph: { block: 'paragraph' },
  list_item: { block: 'list_item' },
  bullet_list: { block: 'bullet_list' },
  ordered_list: { block: 'ordered_list', getAttrs: (tok) => ({ order: +tok.attrGet('start') || 1 }) },
  heading: { block: 'heading', getAttrs: (tok) => ({ level: +tok.tag.slice(1) }) },
  code_block: { block: 'code_block', noCloseToken: true },
  fence: { block: 'code_block', getAttrs: (tok) => ({ params: tok.info || '' }), noCloseToken: true },
  hr: { node: 'horizontal_rule' },
  image: {
    node: 'image',
    getAttrs: (tok) => ({
      src: tok.attrGet('src'),
      title: tok.attrGet('title') || null,
      alt: (tok.children[0] && tok.children[0].content) || null,
    }),
  },
  hardbreak: { node: 'hard_break' },
  em: { mark: 'em' },
  strong: { mark: 'strong' },
  link: { mark: 'link', getAttrs: (tok) => ({ href: tok.attrGet('href'), title: tok.attrGet('title') || null }) },
  code_inline: { mark: 'code', noCloseToken: true },
  table: { block: 'table' },
  thead: { ignore: true },
  tbody: { ignore: true },
  tr: { block: 'table_row' },
  th: { block: 'table_header', getAttrs: cellAlign },
  td: { block: 'table_cell', getAttrs: cellAlign },
  civic_ref: { node: 'civicRef', getAttrs: (tok) => tok.meta },
  html_inline: { ignore: true, noCloseToken: true },
  html_block: { ignore: true, noCloseToken: true },
})

export function parseMarkdownToDoc(md) {
  return parser.parse(md)
}

function escapeRefAttr(v) {
  return String(v).replace(/"/g, '&quot;').replace(/--/g, '&#45;&#45;')
}

const baseNodes = defaultMarkdownSerializer.nodes
const marks = defaultMarkdownSerializer.marks

function civicRef(state, node) {
  const { refType, id, label } = node.attrs
  state.write(`<!--civic-ref type="${escapeRefAttr(refType)}" id="${escapeRefAttr(id)}" label="${escapeRefAttr(label)}"-->`)
}

const cellSerializer = new MarkdownSerializer({
  ...baseNodes,
  civicRef,
  paragraph(state, node) { state.renderInline(node) },
  hard_break(state) { state.write('<br>') },
}, marks)

function renderCell(cell) {
  return cellSerializer.serialize(cell, { tightLists: true }).replace(/\n+/g, ' ').trim().replace(/\|/g, '\\|')
}

const GLYPH = { left: ':--', center: ':-:', right: '--:' }

export const serializer = new MarkdownSerializer({
  ...baseNodes,
  civicRef,
  table(state, node) {
    const rows = []
    node.forEach((row) => {
      const cells = []
      row.forEach((cell) => cells.push(renderCell(cell)))
      rows.push(cells)
    })
    const aligns = []
    if (node.childCount) node.child(0).forEach((cell) => aligns.push(GLYPH[cell.attrs.align] || '---'))
    const line = (cells) => '| ' + cells.join(' | ') + ' |'
    const lines = [line(rows[0] || []), line(aligns)]
    for (const r of rows.slice(1)) lines.push(line(r))
    state.text(lines.join('\n'), false)
    state.closeBlock(node)
  },
  table_row() {},
  table_cell() {},
  table_header() {},
}, marks)

export function serializeDocToMarkdown(doc) {
  return serializer.serialize(doc, { tightLists: false })
}
