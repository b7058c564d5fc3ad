// Collaborative histories for the writeback reader: two editor clients
// (client ids 10 and 20) start from a seeded document and edit it through
// y-prosemirror's updateYFragment, the function TipTap's binding runs on
// every keystroke. Steps: {c: 'A'|'B', md} replaces that client's document
// with parse(md); {sync: true} exchanges updates; {c, raw: 'name'} applies
// a raw Yjs change (content a browser could send that the schema rejects).
export default [
  { name: 'edit-type-in-paragraph', seed: 'Hello world.\n', steps: [{ c: 'A', md: 'Hello brave new world.\n' }] },
  { name: 'edit-bold-a-word', seed: 'Make this bold now.\n', steps: [{ c: 'A', md: 'Make **this** bold now.\n' }] },
  { name: 'edit-unbold', seed: 'Was **bold** text.\n', steps: [{ c: 'A', md: 'Was bold text.\n' }] },
  { name: 'edit-link-change', seed: 'See [site](https://a.org).\n', steps: [{ c: 'A', md: 'See [site](https://b.org "B").\n' }] },
  { name: 'edit-delete-paragraph', seed: 'One.\n\nTwo.\n\nThree.\n', steps: [{ c: 'A', md: 'One.\n\nThree.\n' }] },
  { name: 'edit-heading-level', seed: '# Title\n\nBody\n', steps: [{ c: 'A', md: '### Title\n\nBody\n' }] },
  { name: 'edit-add-list-item', seed: '- a\n- b\n', steps: [{ c: 'A', md: '- a\n- b\n- c\n' }] },
  { name: 'edit-concurrent-paragraphs', seed: 'First.\n\nSecond.\n', steps: [{ c: 'A', md: 'First, edited by A.\n\nSecond.\n' }, { c: 'B', md: 'First.\n\nSecond, edited by B.\n' }, { sync: true }] },
  { name: 'edit-concurrent-same-paragraph', seed: 'The council meets monthly.\n', steps: [{ c: 'A', md: 'The city council meets monthly.\n' }, { c: 'B', md: 'The council meets every month.\n' }, { sync: true }] },
  { name: 'edit-concurrent-marks', seed: 'alpha beta gamma\n', steps: [{ c: 'A', md: '**alpha beta** gamma\n' }, { c: 'B', md: 'alpha *beta gamma*\n' }, { sync: true }] },
  { name: 'edit-then-delete-all', seed: '# H\n\ntext\n', steps: [{ c: 'A', md: '# H\n\nmore text\n' }, { sync: true }, { c: 'B', md: '' }] },
  { name: 'edit-table-cell', seed: '| a | b |\n| - | - |\n| 1 | 2 |\n', steps: [{ c: 'A', md: '| a | b |\n| - | - |\n| 1 | **22** |\n' }] },
  { name: 'edit-civic-ref-insert', seed: 'See the bylaw.\n', steps: [{ c: 'A', md: 'See the bylaw <!--civic-ref type="record" id="b-1" label="Bylaw 1"-->.\n' }] },
  { name: 'edit-many-steps', seed: 'a\n', steps: [{ c: 'A', md: 'ab\n' }, { c: 'A', md: 'abc\n' }, { sync: true }, { c: 'B', md: 'abcd\n\n- x\n' }, { sync: true }, { c: 'A', md: 'abcd\n\n- x\n- y\n\n> q\n' }, { sync: true }] },
  { name: 'edit-emoji-and-unicode', seed: 'Café 😀\n', steps: [{ c: 'A', md: 'Café 😀👍 naïve\n' }, { c: 'B', md: '日本 Café 😀\n' }, { sync: true }] },
  // Content the schema rejects (upstream deletes it from the shared doc).
  { name: 'invalid-tiptap-list', seed: 'Keep.\n', steps: [{ c: 'B', raw: 'tiptapBulletList' }, { sync: true }], invalid: ['Keep.', 'tiptap item'] },
  { name: 'invalid-bold-mark', seed: 'Keep.\n', steps: [{ c: 'B', raw: 'unknownMark' }, { sync: true }], invalid: ['Keep.', 'plain', 'bolded'] },
  { name: 'invalid-code-with-mark', seed: 'Keep.\n', steps: [{ c: 'B', raw: 'codeWithStrong' }, { sync: true }], invalid: ['Keep.', 'let x = 1'] },
  { name: 'invalid-top-level-text', seed: 'Keep.\n', steps: [{ c: 'B', raw: 'topLevelText' }, { sync: true }], invalid: ['Keep.', 'stray text'] },
  { name: 'invalid-list-item-heading-first', seed: 'Keep.\n', steps: [{ c: 'B', raw: 'itemHeadingFirst' }, { sync: true }], invalid: ['Keep.', 'Item title'] },
]
