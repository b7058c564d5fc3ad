// Inputs for generated vectors: [name, description, markdown]. Names are
// unique and become file names. Grouped by what they exercise.
const C = []
const add = (name, description, md) => C.push({ name, description, md })

// --- paragraphs, whitespace, line structure
add('para-two', 'two paragraphs', 'First paragraph.\n\nSecond paragraph.\n')
add('para-softbreaks', 'soft breaks become spaces', 'one\ntwo\nthree\n')
add('para-leading-spaces', 'up to three leading spaces are stripped', '   indented three\n')
add('para-trailing-spaces', 'trailing spaces at paragraph end dropped', 'end   \n')
add('para-tab-before-newline', 'a tab before a soft break stays', 'a\t\nb\n')
add('para-blank-runs', 'runs of blank lines collapse', 'a\n\n\n\n\nb\n')
add('para-crlf', 'CRLF input', 'a\r\nb\r\n\r\nc\r\n')
add('para-cr-only', 'lone CR line endings', 'a\rb\r\rc')
add('para-nul', 'NUL becomes U+FFFD', 'a\u0000b\n')
add('para-nbsp-edges', 'NBSP at paragraph edges is kept', '\u00a0nbsp\u00a0\n')
add('para-ideographic-space', 'U+3000 at paragraph start is kept', '\u3000x\n')
add('para-whitespace-only', 'whitespace-only input', '   \n\t\n')
add('para-no-final-newline', 'no final newline', 'last line')
add('para-lazy-quote', 'lazy continuation in blockquote', '> a\nb\n')
add('para-long-line', 'long line with many words', Array.from({ length: 60 }, (_, i) => 'word' + i).join(' ') + '\n')

// --- headings
for (let l = 1; l <= 6; l++) add(`heading-atx-${l}`, `ATX heading level ${l}`, '#'.repeat(l) + ' Heading ' + l + '\n')
add('heading-seven-hashes', 'seven hashes is a paragraph', '####### not a heading\n')
add('heading-closing-hashes', 'closing sequence removed', '## Title ##\n')
add('heading-escaped-closing', 'escaped hash at end (not a fixed point)', '## Issue \\#\n')
add('heading-empty', 'empty ATX heading', '#\n')
add('heading-no-space', 'hash without space is text', '#tag\n')
add('heading-setext-1', 'setext h1', 'Title\n=====\n')
add('heading-setext-2', 'setext h2', 'Sub\n---\n')
add('heading-setext-multiline', 'multi-line setext heading', 'a\nb\n===\n')
add('heading-with-marks', 'heading with inline marks', '# A *b* **c** `d` [e](f)\n')
add('heading-leading-hash-text', 'heading text starting with #', '## #1 priority\n')
add('heading-trailing-spaces', 'heading with trailing spaces', '### spaced   \n')
add('heading-indented', 'indented heading', '   # indented\n')
add('heading-nbsp-edge', 'NBSP at heading edge kept', '# \u00a0x\u00a0\n')
add('heading-text-dash', 'heading starting with dash needs no escape', '## - item\n')

// --- emphasis
add('em-star', 'star emphasis', '*em*\n')
add('em-underscore', 'underscore emphasis', '_em_\n')
add('strong-star', 'star strong', '**strong**\n')
add('strong-underscore', 'underscore strong', '__strong__\n')
add('em-strong-triple', 'triple star', '***both***\n')
add('em-strong-mixed', 'em inside strong', '**a *b* c**\n')
add('strong-in-em', 'strong inside em', '*a **b** c*\n')
add('em-nested-same', 'nested same-type emphasis loses tail', '*a *b* c*\n')
add('strong-nested-same', 'nested same-type strong loses tail', '**a **b** c**\n')
add('em-intraword-underscore', 'intraword underscore is literal', 'snake_case_name\n')
add('em-intraword-star', 'intraword star emphasis', 'un*frigging*believable\n')
add('em-unmatched', 'unmatched delimiters are literal', '*a **b\n')
add('em-space-inside', 'spaces inside delimiters', '* a *\n')
add('em-whitespace-expel', 'whitespace at mark edges moves outside', '**bold **x\n')
add('em-rule-of-three', 'rule of three', '*foo**bar**baz*\n')
add('em-punct-flanking', 'flanking with punctuation', '*"quoted"*\n')
add('em-across-link', 'emphasis around link', '*[a](b)*\n')
add('em-multiple', 'several emphases', '*a* b *c* d **e**\n')
add('em-underscore-punct', 'underscore after punctuation', '(_a_)\n')
add('em-many-stars', 'long star runs', '****a****\n')
add('em-mixed-delims', 'mixed delimiter kinds', '*a _b_ c*\n')
add('em-strong-overlap', 'overlapping em/strong', '*a **b* c**\n')
add('em-unicode-punct', 'unicode punctuation flanking', '*«a»*\n')
add('em-across-lines', 'emphasis across soft break', '*a\nb*\n')
add('em-adjacent-strong', 'strong next to em', '**a***b*\n')
add('em-emoji', 'emphasis around emoji', '*😀*\n')
add('em-underscore-unicode', 'underscore between non-ASCII letters', 'é_é_é\n')
add('em-star-start-escaped', 'literal star at line start', '\\* not a list\n')

// --- code spans
add('code-simple', 'simple code span', 'a `code` b\n')
add('code-double-backticks', 'code containing a backtick', '``a`b``\n')
add('code-padded', 'padded code span', '` a `\n')
add('code-only-spaces', 'code span of spaces', '`  `\n')
add('code-newline', 'code span across lines', '`a\nb`\n')
add('code-unmatched', 'unmatched backticks literal', '`a\n')
add('code-with-stars', 'stars inside code', '`*not em*`\n')
add('code-in-em', 'code inside emphasis', '*a `b` c*\n')
add('code-in-link', 'code inside link', '[`x`](u)\n')
add('code-backslash', 'backslash in code', '`a\\b`\n')
add('code-triple-inside', 'triple backticks inside span', '```` a```b ````\n')
add('code-leading-backtick', 'code starting with backtick', '`` `a ``\n')
add('code-pipe', 'pipe in code outside a table', '`a|b`\n')

// --- code blocks
add('fence-plain', 'fence without info', '```\ncode\n```\n')
add('fence-tilde', 'tilde fence', '~~~\ncode\n~~~\n')
add('fence-info-spaces', 'raw info with spaces', '```  js  \nx\n```\n')
add('fence-info-escapes', 'raw info with escapes and entity', '```a\\_b &amp;\nx\n```\n')
add('fence-empty', 'empty fenced block', '```\n```\n')
add('fence-blank-lines', 'fenced block with blank lines', '```\na\n\n\nb\n```\n')
add('fence-unclosed', 'unclosed fence runs to end', '```\nopen\n')
add('fence-backticks-inside', 'content with backtick runs', '````\n```\ninner\n```\n````\n')
add('fence-long-backticks-inside', 'content with five backticks', '~~~\n`````\n~~~\n')
add('fence-indented', 'indented fence strips indentation', '  ```\n  a\n    b\n  ```\n')
add('fence-tabs', 'tabs inside code', '```\n\tindented\n```\n')
add('fence-trailing-spaces-info', 'info only spaces', '```   \nx\n```\n')
add('fence-tilde-info-backtick', 'tilde fence info with backtick', '~~~ a`b\nx\n~~~\n')
add('code-indented', 'indented code block', '    code line\n    more\n')
add('code-indented-tab', 'tab-indented code', '\tcode\n')
add('code-indented-blank', 'indented code with blank line', '    a\n\n    b\n')
add('code-indented-after-para', 'indented line after paragraph is continuation', 'para\n    not code\n')
add('fence-in-quote', 'fence in blockquote', '> ```\n> a\n>\n> b\n> ```\n')
add('fence-in-list', 'fence in list item', '- item\n\n  ```\n  code\n  ```\n')
add('fence-list-first', 'fence as first block of list item (not a fixed point)', '1. ~~~\n   code\n   ~~~\n')
add('fence-unicode', 'unicode in code block', '```\n日本語 😀\n```\n')
add('fence-crlf', 'fence with CRLF', '```\r\na\r\n```\r\n')

// --- thematic breaks
add('hr-stars', 'star rule', '***\n')
add('hr-underscores', 'underscore rule', '___\n')
add('hr-spaced', 'spaced dashes', '- - -\n')
add('hr-between', 'rule between paragraphs', 'a\n\n---\n\nb\n')
add('hr-front-matter', 'YAML front matter becomes rule + heading', '---\ntitle: x\nstatus: y\n---\n\nBody\n')
add('hr-in-quote', 'rule in blockquote', '> a\n>\n> ***\n')

// --- blockquotes
add('quote-simple', 'simple quote', '> quoted\n')
add('quote-multi-para', 'quote with two paragraphs', '> a\n>\n> b\n')
add('quote-nested', 'nested quotes', '> a\n> > b\n> > > c\n')
add('quote-empty', 'empty blockquote', '>\n')
add('quote-list', 'list in quote', '> - a\n> - b\n')
add('quote-heading', 'heading in quote', '> # H\n> text\n')
add('quote-code', 'indented code in quote', '>     code\n')
add('quote-no-space', 'quote marker without space', '>a\n>b\n')
add('quote-deep-21', 'nesting beyond 20 levels is cut', '> '.repeat(21) + 'x\n')
add('quote-deep-19', 'nesting of 19 levels', '> '.repeat(19) + 'x\n')
add('quote-deep-20', 'nesting of 20 levels', '> '.repeat(20) + 'x\n')
add('quote-then-para', 'quote followed by paragraph', '> q\n\np\n')
add('quote-table', 'table in quote', '> | a | b |\n> | - | - |\n> | 1 | 2 |\n')

// --- lists
add('list-bullets-dash', 'dash bullets', '- a\n- b\n- c\n')
add('list-bullets-plus', 'plus bullets', '+ a\n+ b\n')
add('list-bullets-star', 'star bullets', '* a\n* b\n')
add('list-loose', 'loose list', '- a\n\n- b\n')
add('list-ordered', 'ordered list', '1. one\n2. two\n3. three\n')
add('list-ordered-paren', 'paren ordered list', '1) one\n2) two\n')
add('list-ordered-start-0', 'start 0 becomes 1', '0. zero\n1. one\n')
add('list-ordered-start-big', 'large start number', '998. a\n999. b\n1000. c\n')
add('list-ordered-width', 'ten items right-aligned', Array.from({ length: 10 }, (_, i) => `${i + 1}. item`).join('\n') + '\n')
add('list-nested-bullets', 'nested bullets', '- a\n  - b\n    - c\n')
add('list-nested-ordered', 'ordered in bullet', '- a\n  1. x\n  2. y\n- b\n')
add('list-item-multi-para', 'list item with two paragraphs', '- a\n\n  b\n- c\n')
add('list-item-heading', 'heading as first block of item', '- # H\n')
add('list-item-quote', 'quote as first block of item', '- > q\n')
add('list-item-empty', 'empty list item', '-\n- b\n')
add('list-item-code', 'code in list item', '1. a\n\n       code\n')
add('list-adjacent-ordered', 'adjacent ordered lists (not a fixed point)', '1. a\n2) b\n')
add('list-adjacent-bullet-then-ordered', 'bullet then ordered', '- a\n1. b\n')
add('list-interrupt-para', 'list interrupting a paragraph', 'para\n- item\n')
add('list-ordered-not-interrupt', 'ordered list not starting at 1 cannot interrupt', 'para\n2. two\n')
add('list-task-literal', 'task list markers stay literal', '- [ ] todo\n- [x] done\n')
add('list-with-table', 'table inside a list item', '- item\n\n  | a | b |\n  | - | - |\n  | 1 | 2 |\n')
add('list-lazy', 'lazy continuation in list item', '- a\nb\n')
add('list-tab-indent', 'tab after marker', '-\tx\n')
add('list-deep', 'deeply nested list', '- a\n  - b\n    - c\n      - d\n        - e\n          - f\n')
add('list-deep-quotes', 'quotes in lists in quotes', '> - a\n>   > b\n>   > - c\n')
add('list-numbers-escape', 'text that looks like an ordered marker', '1\\. not a list\n')
add('list-paren-escape', 'paren marker escape (not a fixed point)', '3\\) Third\n')
add('list-dash-after-break', 'dash after hard break (not a fixed point)', 'Total\\\n\\- 5 items\n')
add('list-hr-item', 'rule inside list item', '- a\n\n  ***\n')
add('list-many-items', 'twelve items', Array.from({ length: 12 }, (_, i) => `- item ${i}`).join('\n') + '\n')
add('list-ordered-nested-width', 'nested indent follows marker width', '9. a\n10. b\n    - c\n')

// --- links
add('link-inline', 'inline link', '[text](https://example.org)\n')
add('link-title-double', 'double-quoted title', '[t](/u "Title")\n')
add('link-title-single', 'single-quoted title', "[t](/u 'Title')\n")
add('link-title-paren', 'paren title', '[t](/u (Title))\n')
add('link-title-quote', 'title with double quote', "[t](/u 'say \"hi\"')\n")
add('link-empty-title', 'empty title becomes null', '[t](/u "")\n')
add('link-angle-dest', 'angle destination with space', '[t](<my file.md>)\n')
add('link-punycode', 'IDN host is punycoded', '[m](https://münchen.example/straße?s=ß)\n')
add('link-entity-dest', 'entity in destination', '[s](/search?x=1&amp;y=2)\n')
add('link-percent', 'stray percent encoded', '[p](/100%zz)\n')
add('link-quote-dest', 'quotes in destination', '[q](/a"b")\n')
add('link-backslash-dest', 'backslash in destination', '[b](u\\\\v)\n')
add('link-parens-dest', 'balanced parens in destination', '[w](https://en.wikipedia.org/wiki/Foo_(bar))\n')
add('link-escaped-parens', 'escaped parens in destination', '[e](a\\(b)\n')
add('link-empty-text', 'empty link text vanishes', 'x [](https://x.org) y\n')
add('link-javascript', 'javascript link stays text', '[run](javascript:void(0))\n')
add('link-vbscript', 'vbscript link stays text', '[x](vbscript:msg)\n')
add('link-file', 'file link stays text', '[x](file:///etc/passwd)\n')
add('link-data-image', 'data image link allowed', '[x](data:image/png;base64,AAAA)\n')
add('link-data-text', 'data text link rejected', '[x](data:text/html;base64,AAAA)\n')
add('link-reference-full', 'full reference link', '[text][ref]\n\n[ref]: https://x.org "T"\n')
add('link-reference-collapsed', 'collapsed reference', '[ref][]\n\n[ref]: /u\n')
add('link-reference-shortcut', 'shortcut reference', '[Ref]\n\n[ref]: /u\n')
add('link-reference-missing', 'missing reference is literal', '[nope]\n')
add('link-reference-case', 'reference label case folding', '[ΑΓΩ]\n\n[αγω]: /greek\n')
add('link-footnote', 'footnote syntax becomes a link', 'See[^a].\n\n[^a]: Source.\n')
add('link-autolink', 'URL autolink', '<https://example.org/a?b=c>\n')
add('link-autolink-email', 'email autolink', '<me@example.org>\n')
add('link-autolink-idn', 'autolink with IDN host', '<https://xn--mnchen-3ya.example/>\n')
add('link-autolink-custom-scheme', 'autolink with custom scheme', '<irc://foo.bar:2233/baz>\n')
add('link-plain-url-text', 'bare URL is not linked', 'visit https://example.org now\n')
add('link-text-equals-href', 'link whose text is its href', '[https://x.org](https://x.org)\n')
add('link-marks-inside', 'marks inside link text', '[**b** *i* `c`](u)\n')
add('link-nested-brackets', 'brackets inside link text', '[a [b] c](u)\n')
add('link-inner-link-wins', 'inner link wins', '[a [b](x) c](y)\n')
add('link-image-inside', 'image inside link', '[![alt](i.png)](u)\n')
add('link-relative', 'relative links', '[a](./a.md) [b](../b) [c](#frag)\n')
add('link-mailto', 'mailto link', '[mail](mailto:a@b.org)\n')
add('link-unicode-text', 'unicode link text', '[日本](https://x.jp)\n')
add('link-space-in-url-invalid', 'space in URL is not a link', '[a](b c)\n')
add('link-newline-in-text', 'soft break in link text', '[a\nb](u)\n')
add('link-title-newline', 'title across lines', '[a](u "t\nu")\n')
add('link-query-fragment', 'query and fragment kept', '[q](https://x.org/p?a=1&b=2#f)\n')
add('link-uppercase-scheme', 'uppercase JAVASCRIPT rejected', '[x](JAVASCRIPT:alert(1))\n')
add('link-bang-before', 'bang before link', 'Wow![a](u)\n')
add('link-bang-escaped', 'escaped bang then bracket', '\\![a](u)\n')

// --- images
add('image-simple', 'simple image', '![alt](a.png)\n')
add('image-no-alt', 'image without alt', '![](a.png)\n')
add('image-title', 'image with title', '![a](a.png "T")\n')
add('image-strong-alt', 'alt starting with strong is null', '![**Logo** of city](l.png)\n')
add('image-entity-alt', 'alt cut at entity', '![Tom &amp; Jerry](t.png)\n')
add('image-escape-alt', 'alt cut at escape', '![2\\*3](m.png)\n')
add('image-em-middle-alt', 'alt cut before emphasis', '![a *b* c](x.png)\n')
add('image-unmatched-star-alt', 'unmatched star stays in alt', '![a*b](x.png)\n')
add('image-code-alt', 'code in alt', '![`c` d](x.png)\n')
add('image-softbreak-alt', 'soft break in alt', '![a\nb](x.png)\n')
add('image-special-alt', 'alt with brackets escaped', '![a_b[c]](x.png)\n')
add('image-in-strong', 'image inside strong', '**see ![i](i.png) here**\n')
add('image-parens-src', 'parens in src escaped', '![p](a\\(1\\).png)\n')
add('image-javascript', 'javascript image stays text', '![x](javascript:alert(1))\n')
add('image-reference', 'reference image', '![i][r]\n\n[r]: /img.png "T"\n')
add('image-only-paragraph', 'paragraph holding two images', '![a](a.png) ![b](b.png)\n')
add('image-unicode-src', 'unicode in src encoded', '![u](ü.png)\n')
add('image-title-quotes', 'title with quotes', '![a](a.png "say \\"x\\"")\n')

// --- hard breaks
add('break-two-spaces', 'two-space hard break', 'a  \nb\n')
add('break-many-spaces', 'many spaces hard break', 'a      \nb\n')
add('break-backslash', 'backslash hard break', 'a\\\nb\n')
add('break-trailing-backslash', 'backslash at paragraph end is literal', 'a\\\n')
add('break-in-em', 'hard break inside emphasis', '*a  \nb*\n')
add('break-in-heading', 'hard break syntax in heading', '# a\\\n')
add('break-multiple', 'consecutive hard breaks', 'a\\\n\\\nb\n')
add('break-before-space-text', 'break followed by indented text', 'a  \n   b\n')
add('break-in-quote', 'hard break in quote', '> a\\\n> b\n')
add('break-in-list', 'hard break in list item', '- a\\\n  b\n')

// --- escaping
const specials = ['\\', '`', '*', '_', '{', '}', '[', ']', '(', ')', '#', '+', '-', '.', '!', '|', '<', '>', '~', '"', "'", '&', '$', '%', '^', '@', '=', ':', ';', ',', '?', '/']
specials.forEach((ch, i) => add(`escape-char-${String(i).padStart(2, '0')}`, `escaped ${JSON.stringify(ch)} mid-line and at start`, `\\${ch}start and mid \\${ch} end\n`))
add('escape-not-punct', 'backslash before letter is literal', 'a\\b \\é\n')
add('escape-double-backslash', 'double backslash', 'a\\\\b\n')
add('escape-start-plus', 'plus space at start', '\\+ plus\n')
add('escape-start-gt', 'greater-than at start', '\\> gt\n')
add('escape-start-hash', 'hash at start', '\\# hash\n')
add('escape-start-number', 'number dot at start', '1\\. one\n')
add('escape-start-number-tab', 'number dot tab at start', '1\\.\tone\n')
add('escape-underscore-words', 'underscores between words', 'a_b c_ _d\n')
add('escape-tilde', 'tildes are escaped', '~~strike~~\n')
add('escape-html-entity-like', 'ampersands kept', 'AT&T &amp; &copy; &unknown; &#x1F600; &#123;\n')
add('escape-invalid-numeric-entity', 'invalid numeric entity', '&#0; &#xD800; &#1;\n')
add('escape-lt-section', 'escaped HTML becomes live (not a fixed point)', '\\<section> intro\n')
add('escape-entity-html', 'entity-encoded HTML becomes live (not a fixed point)', '&lt;em&gt;x&lt;/em&gt;\n')
add('escape-brackets-text', 'brackets in text', 'a [b] c\n')
add('escape-start-star-space', 'star space at start', '\\* x\n')
add('escape-start-dash-text', 'dash word at start', '\\-dash\n')
add('escape-start-equals', 'equals line after paragraph', 'a\n\\===\n')
add('escape-pipe-text', 'pipe in text', 'a | b\n')
add('escape-nbsp-entity', 'nbsp entity', 'a&nbsp;b\n')

// --- raw HTML
add('html-block-div', 'HTML block dropped', '<div>\nhidden\n</div>\n\nafter\n')
add('html-block-comment', 'comment block dropped', '<!-- note -->\n\ntext\n')
add('html-inline-span', 'inline tags dropped, text kept', 'a <span>b</span> c\n')
add('html-inline-br', 'br dropped with spaces kept', 'a <br> b\n')
add('html-inline-comment', 'inline comment dropped', 'a <!-- c --> b\n')
add('html-block-script', 'script block dropped', '<script>\nalert(1)\n</script>\ntext\n')
add('html-block-type7', 'type 7 block', '<custom-tag>\n\ntext\n')
add('html-inline-not-tag', 'less-than that is not a tag', '1 < 2 and 3 > 2\n')
add('html-block-pre', 'pre block dropped', '<pre>\ncode\n</pre>\n')
add('html-processing', 'processing instruction', '<?php echo 1; ?>\n\nx\n')
add('html-cdata', 'CDATA block', '<![CDATA[\nx\n]]>\n\ny\n')
add('html-declaration', 'declaration', '<!DOCTYPE html>\n\nz\n')
add('html-inline-attrs', 'inline tag with attributes', 'x <a href="u" title=\'t\'>y</a> z\n')
add('html-block-search', 'search is a block tag', '<search>\nq\n</search>\n')

// --- civic refs
add('civic-basic', 'civic ref mid-line', 'See <!--civic-ref type="record" id="r1" label="Bylaw 1"--> for details.\n')
add('civic-geography', 'geography ref', 'x <!--civic-ref type="geography" id="g1" label="Zone"-->\n')
add('civic-attachment', 'attachment ref', 'x <!--civic-ref type="attachment" id="a1" label="PDF"-->\n')
add('civic-unknown-type', 'unknown type coerced to record', 'x <!--civic-ref type="motion" id="m1" label="M"-->\n')
add('civic-line-start', 'ref at line start is lost', '<!--civic-ref type="record" id="r1" label="A"--> opens the line\n')
add('civic-empty-id', 'empty id is dropped', 'x <!--civic-ref type="record" id="" label="L"-->\n')
add('civic-empty-label', 'empty label allowed', 'x <!--civic-ref type="record" id="r" label=""-->\n')
add('civic-space-before-close', 'space before --> is not a ref', 'x <!--civic-ref type="record" id="r" label="L" -->\n')
add('civic-order', 'different attribute order is not a ref', 'x <!--civic-ref id="r" type="record" label="L"-->\n')
add('civic-extra-attr', 'extra attribute is not a ref', 'x <!--civic-ref type="record" id="r" label="L" extra="1"-->\n')
add('civic-dashes-id', 'id with double dash (PM id changes on second pass)', 'x <!--civic-ref type="record" id="x--y" label="L"-->\n')
add('civic-quote-label', 'escaped quote and dashes in label', 'x <!--civic-ref type="record" id="r" label="a &quot;b&quot; &#45;&#45; c"-->\n')
add('civic-amp-label', 'amp entity stays raw', 'x <!--civic-ref type="record" id="r" label="a &amp; b"-->\n')
add('civic-in-strong', 'ref inside strong', '**bold <!--civic-ref type="record" id="r" label="L"--> more**\n')
add('civic-in-link', 'ref inside link', '[a <!--civic-ref type="record" id="r" label="L"--> b](u)\n')
add('civic-two', 'two refs side by side', 'x <!--civic-ref type="record" id="a" label="A"--><!--civic-ref type="record" id="b" label="B"-->\n')
add('civic-in-heading', 'ref in heading', '# Title <!--civic-ref type="record" id="r" label="L"-->\n')
add('civic-in-list', 'ref in list item', '- item <!--civic-ref type="geography" id="g" label="G"-->\n')
add('civic-in-table', 'ref in table cell', '| a | b |\n| - | - |\n| x <!--civic-ref type="record" id="r" label="L|M"--> | y |\n')
add('civic-unicode-label', 'unicode label', 'x <!--civic-ref type="record" id="r" label="Règlement 😀"-->\n')
add('civic-multiline', 'ref split across lines is not a ref', 'x <!--civic-ref type="record"\nid="r" label="L"-->\n')
add('civic-tab-separator', 'tab between attributes', 'x <!--civic-ref\ttype="record" id="r" label="L"-->\n')
add('civic-case', 'uppercase is not a ref', 'x <!--CIVIC-REF type="record" id="r" label="L"-->\n')
add('civic-in-quote', 'ref in blockquote', '> quote <!--civic-ref type="record" id="q" label="Q"-->\n')

// --- tables
add('table-basic', 'basic table', '| a | b |\n| --- | --- |\n| 1 | 2 |\n')
add('table-no-outer-pipes', 'no outer pipes', 'a | b\n--- | ---\n1 | 2\n')
add('table-align', 'alignments', '| l | c | r | n |\n|:--|:-:|--:|---|\n| 1 | 2 | 3 | 4 |\n')
add('table-short-row', 'short body row padded', '| a | b | c |\n| - | - | - |\n| 1 |\n')
add('table-long-row', 'extra cells dropped', '| a | b |\n| - | - |\n| 1 | 2 | 3 |\n')
add('table-header-only', 'header without body', '| a | b |\n| - | - |\n')
add('table-escaped-pipe', 'escaped pipe in cell', '| a \\| b | c |\n| - | - |\n| x | y |\n')
add('table-code-pipe', 'unescaped pipe in code splits cell', '| a | b |\n| - | - |\n| `x|y` | z |\n')
add('table-code-escaped-pipe', 'escaped pipe in code', '| a | b |\n| - | - |\n| `x\\|y` | z |\n')
add('table-marks', 'marks in cells', '| *a* | **b** |\n| - | - |\n| [l](u) | `c` |\n')
add('table-empty-cells', 'empty cells', '| a |  | c |\n| - | - | - |\n|  | b |  |\n')
add('table-mismatch', 'header/delimiter mismatch is not a table', '| a | b |\n| - |\n| 1 | 2 |\n')
add('table-single-column', 'single column table', '| a |\n| - |\n| 1 |\n')
add('table-interrupts-para', 'table after paragraph line', 'intro\n| a | b |\n| - | - |\n| 1 | 2 |\n')
add('table-ends-blank', 'blank line ends table', '| a |\n| - |\n| 1 |\n\nafter\n')
add('table-ends-quote', 'blockquote ends table', '| a |\n| - |\n| 1 |\n> q\n')
add('table-row-no-pipe', 'body row without pipe', '| a | b |\n| - | - |\nplain\n')
add('table-unicode', 'unicode cells', '| 日本 | 😀 |\n| - | - |\n| é | ✓ |\n')
add('table-nbsp-trim', 'cells trimmed of NBSP', '| \u00a0a\u00a0 | b |\n| - | - |\n| 1 | 2 |\n')
add('table-image-cell', 'image in cell', '| i |\n| - |\n| ![a](b.png) |\n')
add('table-html-br', 'br in cell dropped', '| a |\n| - |\n| x<br>y |\n')
add('table-delim-spaces', 'delimiter with spaces', '|  a  |  b  |\n| :---: | ---: |\n|  1  |  2  |\n')
add('table-dash-space-delim', 'delimiter starting with dash space is not a table', 'a | b\n- | -\n')
add('table-escape-start', 'cell text needing start escape', '| a |\n| - |\n| - x |\n')
add('table-setext-conflict', 'single column header over dashes', '|a|\n---\n')
add('table-indented-row', 'indented row ends table', '| a |\n| - |\n| 1 |\n    code\n')
add('table-hr-row', 'rule ends table', '| a |\n| - |\n| 1 |\n---\n')
add('table-list-row', 'list ends table', '| a |\n| - |\n| 1 |\n- x\n')
add('table-backslash-cell', 'backslashes in cells', '| a\\\\b | c\\d |\n| - | - |\n| 1 | 2 |\n')
add('table-wide', 'many columns', '|' + Array.from({ length: 8 }, (_, i) => ` h${i} |`).join('') + '\n|' + ' --- |'.repeat(8) + '\n|' + Array.from({ length: 8 }, (_, i) => ` ${i} |`).join('') + '\n')
add('table-heading-like-cell', 'cell starting with hash', '| # x |\n| - |\n| 1. y |\n')

// --- unicode
add('unicode-cjk', 'CJK text', '日本語のテキスト。\n\n中文文本\n')
add('unicode-rtl', 'RTL text', 'مرحبا بالعالم\n\nשלום\n')
add('unicode-emoji-zwj', 'ZWJ sequences', '👩‍👩‍👧 family 🏳️‍🌈\n')
add('unicode-combining', 'combining marks', 'e\u0301 a\u0308\n')
add('unicode-astral-marks', 'astral chars inside marks', '**𝕏** *𝒜* `𝟘`\n')
add('unicode-surrogate-underscore', 'underscore next to astral char', '𝕏_𝕏\n')
add('unicode-line-separator', 'U+2028 inside text', 'a\u2028b\n')
add('unicode-bom', 'BOM at start', '\ufeffBOM start\n')
add('unicode-fullwidth', 'fullwidth punctuation', '＊not em＊\n')
add('unicode-french', 'French civic text', '# Règlement n° 2024-01\n\nLe conseil municipal « adopte » l’article 3.\n')

// --- mixed / realistic
add('mixed-bylaw', 'realistic bylaw excerpt', `# Bylaw 2024-17: Noise Control

## Part 1 — Definitions

In this bylaw:

1. **"Council"** means the council of the *Municipality*.
2. **"Quiet hours"** means 22:00 to 07:00.

## Part 2 — Prohibitions

> No person shall make noise that disturbs the *peace* during quiet hours.

See <!--civic-ref type="record" id="bylaw-2019-03" label="Bylaw 2019-03"--> and the [provincial act](https://example.gov/act "Act").

| Zone | Day limit | Night limit |
|:-----|:---------:|------------:|
| Residential | 55 dB | 45 dB |
| Commercial | 65 dB | 55 dB |

---

Adopted on 2024-05-01.
`)
add('mixed-minutes', 'meeting minutes', `# Regular Council Meeting — Minutes

**Present:** Mayor A, Councillor B, Councillor C
**Absent:** none

## 1. Call to order

The meeting was called to order at 19:00.

## 2. Adoption of the agenda

*Moved by* Councillor B, *seconded by* Councillor C:

\`\`\`
THAT the agenda be adopted as presented.
\`\`\`

- Carried unanimously
- Vote: 3-0

## 3. Items

1. Budget <!--civic-ref type="attachment" id="att-7" label="Budget 2025.pdf"-->
   - reviewed
   - approved
2. Zoning in <!--civic-ref type="geography" id="zone-4" label="Zone 4"-->
`)
add('mixed-policy', 'policy with nested structure', `# Policy: Records Retention

> **Note:** this policy replaces the 2010 version.
>
> 1. Paper records
> 2. Electronic records
>    * email
>    * databases

Contact: <records@example.org>
`)
add('mixed-all-marks', 'every mark combination', '[*em link*](u) [**strong link**](u) [`code link`](u) ***em strong*** **`code strong`** *`code em`*\n')
add('mixed-every-node', 'every node type', '# H\n\np *e* **s** `c` [l](u) ![i](i.png) a\\\nb <!--civic-ref type="record" id="r" label="L"-->\n\n> q\n\n---\n\n```js\nx\n```\n\n- b\n\n1. o\n\n| t |\n| - |\n| d |\n')
add('mixed-empty-lines-in-list', 'blank lines between nested blocks', '- a\n\n\n  b\n\n- c\n')
add('mixed-quote-in-list-in-quote', 'deep mixed nesting', '> 1. a\n>    > b\n>    > ```\n>    > c\n>    > ```\n')

// --- inputs on which an earlier Go version differed from upstream (found by
// the differential test); kept so that they stay fixed
add('regress-table-after-list-item', 'delimiter row under a list item line', '- a|b\n-|-\n')
add('regress-table-after-heading', 'delimiter row under a heading line', '# a|b\n--|--\n')
add('regress-table-after-quote', 'delimiter row under a quote line', '> q|r\n|-|-|\n')
add('regress-table-lazy-header', 'lazy quote line is no table header', '> a\nb|c\n-|-\n')
add('regress-table-lazy-list-start', 'lazy line starting a list can head a table', '> a\n* b \\| c\n---\n')
add('regress-table-in-list-item', 'table inside a list item after a pipe line', '- a\n| b |\n|---|\n')
add('regress-table-fence-header', 'fence line followed by a dash row', '> x\n~~~ js\\|-\n----\n')
add('regress-html7-nbsp', 'tag followed by NBSP is an HTML block', '</span>\u00a0\n2) text\n\nafter\n')
add('regress-html7-lazy', 'tag line after a list paragraph stays inline', '1. item text\n<br>\n')
add('regress-html7-in-item', 'tag with NBSP in a list item', '+ <br>\u00a0\n1. x\n')
add('regress-image-in-image-alt', 'image as first child gives the alt its raw label', '![![inner](i.png) tail](o.png)\n')
add('regress-indented-quote-marker', 'indented > continues a quote', '> a\n    > b\n')
add('regress-indented-quote-html', 'indented > then comment line', '> <span>x\n    ><!-- c --> y\n')
add('regress-ref-then-ordered', 'ordered list after a definition', '[r]: /u "t"\n2) two\n')
add('regress-ref-then-code', 'indented code after a definition', '[r]: /u\n    code\n\n[r]\n')
add('regress-last-line-spaces', 'whitespace-only last line without newline', '```\ncode\n\t')
add('regress-code-span-lazy-item', 'code span across a lazy line in a list item', '10. `a\n  b` c\n')
add('regress-javascript-ref-def', 'javascript reference definition stays text', '[x]: javascript:alert(1)\n\n[x]\n')
add('regress-tab-after-marker-in-quote', 'tab after a list marker inside a quote opens code', '> * \tTab\n')
add('regress-tab-after-nested-marker', 'tab after a nested list marker opens code', '* * \t\\_\n')
add('regress-tab-after-marker-nested-quote', 'tab after a list marker in nested quotes', '> > + \t~~<\n')
add('regress-tab-in-nested-item', 'tab after a marker in a nested item', '- a\n  * \tb\n')
add('regress-empty-item-two-blanks', 'empty item then two blank lines ends the list', '* \n  \n\n* b\n')
add('regress-empty-item-one-blank', 'empty item then one blank line keeps the list', '*\n\n* b\n')
add('regress-empty-item-then-indented', 'empty item, blank lines, indented text', '-\n\n\n  x\n')
add('regress-empty-middle-item', 'empty middle item then two blank lines', '- a\n-\n\n\n- c\n')
add('regress-nested-empty-item', 'empty nested item does not close the outer list', '- a\n  *\n\n    x\n')

export default C
