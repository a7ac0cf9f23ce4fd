/**
 * The layout of the text report's records block: a label column, then every value in one column;
 * lines that continue a value start at that column too. And wrapping to the terminal's width.
 */

/** Width of the label column ("MTA-STS" and a space). */
export const LABEL_WIDTH = 8;

/** Indent of a line that continues the value above it. */
export const CONTINUED = ' '.repeat(LABEL_WIDTH);

/** `SPF     v=spf1 …`: the label padded to the value column. */
export function labelled(label: string, text: string): string {
  return `${label.padEnd(LABEL_WIDTH - 1)} ${text}`;
}

/**
 * Breaks `line` at spaces so that no piece is longer than `width`; the pieces after the first start
 * with `hang` spaces. A word longer than a whole line (a DKIM key) is cut where the line ends.
 * Without a width (output not to a terminal) the line is returned whole.
 */
export function wrapLine(line: string, width: number | undefined, hang: number): string[] {
  if (!width || line.length <= width) return [line];
  // On a very narrow terminal the hanging indent goes: better short lines than none.
  const indent = ' '.repeat(width - hang >= 12 ? hang : 0);
  const limit = Math.max(12, width);
  const lead = /^ */.exec(line)![0];
  const words = line.slice(lead.length).split(' ');
  const out: string[] = [];
  let current = lead.length < limit ? lead : '';
  const push = () => {
    out.push(current.trimEnd());
    current = indent;
  };
  for (let word of words) {
    const sep = current.trim() === '' ? '' : ' ';
    if ((current + sep + word).length <= limit) {
      current += sep + word;
      continue;
    }
    if (current.trim() !== '') push();
    while (current.length + word.length > limit) {
      const take = limit - current.length;
      current += word.slice(0, take);
      word = word.slice(take);
      push();
    }
    current += word;
  }
  if (current.trim() !== '') out.push(current.trimEnd());
  return out;
}

/** Where the continuation of a records-block line starts: after the label column, or after `key: `. */
export function hangOf(line: string): number {
  const lead = /^ */.exec(line)![0].length;
  const rest = line.slice(lead);
  if (/^[A-Z][A-Z-]* +/.test(rest) && /^[A-Z][A-Z-]* +/.exec(rest)![0].length === LABEL_WIDTH) return lead + LABEL_WIDTH;
  const key = /^[a-z][a-z ]*: /.exec(rest);
  return lead + (key ? key[0].length : 0);
}
