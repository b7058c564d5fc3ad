// Editor-made documents (ProseMirror JSON) that Markdown parsing cannot
// produce; they pin the serializer and the Yjs mapping on shapes that reach
// the server only through collaborative editing.
const t = (text, marks) => (marks ? { type: 'text', text, marks } : { type: 'text', text })
const p = (...content) => (content.length ? { type: 'paragraph', content } : { type: 'paragraph' })
const doc = (...content) => ({ type: 'doc', content })
const em = { type: 'em' }, strong = { type: 'strong' }, code = { type: 'code' }
const link = (href, title = null) => ({ type: 'link', attrs: { href, title } })
const cell = (type, content, attrs = {}) => ({ type, attrs: { colspan: 1, rowspan: 1, colwidth: null, align: null, ...attrs }, content })

const D = []
const add = (name, description, d) => D.push({ name, description, doc: d })

add('doc-empty-paragraph-first', 'empty paragraph at the start leaves a newline', doc(p(), p(t('x'))))
add('doc-empty-paragraphs-middle', 'empty paragraphs between blocks vanish', doc(p(t('a')), p(), p(), p(t('b'))))
add('doc-empty-paragraph-last', 'empty paragraph at the end', doc(p(t('a')), p()))
add('doc-text-newline', 'text containing a newline', doc(p(t('a\nb'))))
add('doc-text-leading-tab', 'text starting with a tab', doc(p(t('\tx'))))
add('doc-text-four-spaces', 'text starting with four spaces', doc(p(t('    x'))))
add('doc-typed-html', 'typed HTML is written raw', doc(p(t('<b>x</b>'))))
add('doc-typed-civic-ref', 'typed civic-ref comment', doc(p(t('see <!--civic-ref type="record" id="x" label="y"--> here'))))
add('doc-code-mark-spaces', 'code mark with outer spaces', doc(p(t('a '), t(' b ', [code]), t(' c'))))
add('doc-link-space-href', 'href with space and backslash', doc(p(t('l', [link('a\\b c')]))))
add('doc-heading-7', 'heading level 7', doc({ type: 'heading', attrs: { level: 7 }, content: [t('x')] }))
add('doc-heading-empty', 'empty heading', doc({ type: 'heading', attrs: { level: 2 } }))
add('doc-civic-ref-first', 'civicRef first in paragraph', doc(p({ type: 'civicRef', attrs: { refType: 'record', id: 'r', label: 'L' } }, t(' rest'))))
add('doc-civic-ref-default', 'civicRef with default attributes', doc(p(t('x '), { type: 'civicRef' })))
add('doc-civic-ref-escapes', 'civicRef attributes needing escapes', doc(p(t('x '), { type: 'civicRef', attrs: { refType: 'a"b', id: 'x--y---z', label: 'say "hi" -- & <b>' } })))
add('doc-table-colspan', 'table with colspan and body align', doc({ type: 'table', content: [
  { type: 'table_row', content: [cell('table_cell', [p(t('a'))], { colspan: 2, align: 'center' })] },
  { type: 'table_row', content: [cell('table_cell', [p(t('b'))], { align: 'right' }), cell('table_cell', [p(t('c'))])] },
] }))
add('doc-table-blocks-in-cell', 'multi-block cell content', doc({ type: 'table', content: [
  { type: 'table_row', content: [cell('table_header', [p(t('a')), p(t('b'))]), cell('table_header', [{ type: 'bullet_list', content: [{ type: 'list_item', content: [p(t('x'))] }, { type: 'list_item', content: [p(t('y'))] }] }])] },
  { type: 'table_row', content: [cell('table_cell', [{ type: 'heading', attrs: { level: 2 }, content: [t('H')] }]), cell('table_cell', [p(t('c'), { type: 'hard_break' }, t('d'))])] },
] }))
add('doc-table-empty-row', 'row with no cells', doc({ type: 'table', content: [
  { type: 'table_row', content: [cell('table_header', [p(t('a'))])] },
  { type: 'table_row' },
] }))
add('doc-table-pipes', 'pipes in cell text and code', doc({ type: 'table', content: [
  { type: 'table_row', content: [cell('table_header', [p(t('a|b'))]), cell('table_header', [p(t('c|d', [code]))])] },
] }))
add('doc-marks-across-break', 'strong across hard break', doc(p(t('a', [strong]), { type: 'hard_break', marks: [strong] }, t('b', [strong]))))
add('doc-trailing-hard-breaks', 'trailing hard breaks vanish', doc(p(t('a'), { type: 'hard_break' }, { type: 'hard_break' })))
add('doc-hard-break-then-space', 'hard break before whitespace-only text', doc(p(t('a', [em]), { type: 'hard_break', marks: [em] }, t(' ', [em]), t('b'))))
add('doc-em-strong-ranks', 'overlapping marks in several orders', doc(p(t('a', [em]), t('b', [em, strong]), t('c', [strong]), t('d', [link('u'), em]), t('e', [link('u')]))))
add('doc-whitespace-marks', 'whitespace-only marked text', doc(p(t('a'), t('  ', [em]), t('b'))))
add('doc-autolink', 'link whose text equals its href', doc(p(t('https://x.org', [link('https://x.org')]))))
add('doc-autolink-continued', 'autolink text followed by more link text', doc(p(t('https://x.org', [link('https://x.org')]), t('more', [link('https://x.org'), em]))))
add('doc-link-title', 'link title with quotes', doc(p(t('l', [link('/u', 'say "x"')]))))
add('doc-image-attrs', 'image with title and no alt', doc(p({ type: 'image', attrs: { src: 'a (1).png', alt: null, title: 'T "q"' } })))
add('doc-code-block-backticks', 'code block text with backtick fences', doc({ type: 'code_block', attrs: { params: 'md' }, content: [t('```\nx\n````')] }))
add('doc-code-block-empty', 'empty code block', doc({ type: 'code_block', attrs: { params: '' } }))
add('doc-list-item-code-first', 'list item starting with code block', doc({ type: 'bullet_list', content: [{ type: 'list_item', content: [p(), { type: 'code_block', attrs: { params: '' }, content: [t('c')] }] }] }))
add('doc-adjacent-bullet-lists', 'two bullet lists in a row', doc(
  { type: 'bullet_list', content: [{ type: 'list_item', content: [p(t('a'))] }] },
  { type: 'bullet_list', content: [{ type: 'list_item', content: [p(t('b'))] }] }))
add('doc-ordered-order-0', 'ordered list with order 0', doc({ type: 'ordered_list', attrs: { order: 0 }, content: [{ type: 'list_item', content: [p(t('a'))] }] }))
add('doc-escape-positions', 'escapes after marks and nodes', doc(p(t('x', [em]), t('# not heading')), p({ type: 'image', attrs: { src: 'i', alt: null, title: null } }, t('- dash'))))
add('doc-underscore-unicode', 'underscore between astral letters', doc(p(t('𝕏_𝕏 a_b é_é'))))
add('doc-nbsp-marks', 'NBSP at mark edges is expelled', doc(p(t('\u00a0x\u00a0', [strong]))))
add('doc-line-separator-marks', 'U+2028 inside emphasised text', doc(p(t('a\u2028 b ', [em]), t('c'))))
add('doc-blockquote-code-empty-line', 'empty code line inside a quote', doc({ type: 'blockquote', content: [{ type: 'code_block', attrs: { params: '' }, content: [t('a\n\nb')] }] }))
add('doc-nested-list-in-quote', 'list in quote in list', doc({ type: 'bullet_list', content: [{ type: 'list_item', content: [p(t('a')), { type: 'blockquote', content: [{ type: 'ordered_list', attrs: { order: 9 }, content: [{ type: 'list_item', content: [p(t('x'))] }, { type: 'list_item', content: [p(t('y'))] }] }] }] }] }))

export default D
