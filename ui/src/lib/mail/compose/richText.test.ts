import { describe, expect, it } from 'vitest';
import { htmlToText, linkTarget, textOfHtml, textToHtml } from './richText';

function element(html: string): HTMLElement {
  const div = document.createElement('div');
  div.innerHTML = html;
  return div;
}

describe('rich text', () => {
  it('turns editor HTML into the text of a plain message', () => {
    expect(htmlToText(element('<div>Hello <b>Wei</b>,</div><div><br></div><div>See   you</div>'))).toBe(
      'Hello Wei,\n\nSee you',
    );
    expect(htmlToText(element('<ul><li>one</li><li>two</li></ul><ol><li>first</li></ol>'))).toBe(
      '- one\n- two\n1. first',
    );
    expect(htmlToText(element('<blockquote>quoted<br>twice</blockquote>after'))).toBe('> quoted\n> twice\nafter');
    expect(htmlToText(element('<a href="https://example.com/">our site</a> and <a href="mailto:a@b.cn">a@b.cn</a>'))).toBe(
      'our site <https://example.com/> and a@b.cn',
    );
    expect(htmlToText(element('a&nbsp;&nbsp;b<img src="data:image/png;base64,AA=="><script>x()</script>'))).toBe('a  b');
  });

  it('reads the text of HTML without rendering it', () => {
    expect(textOfHtml('<p><br></p><p>-- <br>Ada Lovelace<br>Analytical Engines</p>')).toBe(
      '\n-- \nAda Lovelace\nAnalytical Engines',
    );
  });

  it('turns text into escaped editor HTML, a div a line', () => {
    expect(textToHtml('<b>x</b> & "y"\n\nz')).toBe('<div>&lt;b&gt;x&lt;/b&gt; &amp; &quot;y&quot;</div><div><br></div><div>z</div>');
  });

  it('accepts http, https and mailto links only', () => {
    expect(linkTarget('https://example.com/a?b=c')).toBe('https://example.com/a?b=c');
    expect(linkTarget('example.com/page')).toBe('https://example.com/page');
    expect(linkTarget('wei@example.com')).toBe('mailto:wei@example.com');
    expect(linkTarget('MAILTO:wei@example.com')).toBe('mailto:wei@example.com');
    for (const bad of ['javascript:alert(1)', 'data:text/html,<b>', 'file:///etc/passwd', 'http://', 'not a link', '']) {
      expect(linkTarget(bad), bad).toBeNull();
    }
  });
});
