/** Closed days (休止日) as an operator types them, and as the API keeps them. */
/** `12-29..01-03, 08-13..08-15` ⇄ the API's closed ranges. */
export function closedToText(closed: readonly (readonly [string, string])[], sep: string): string {
  return closed.map(([a, b]) => (a === b ? a : `${a}..${b}`)).join(sep);
}
export function closedFromText(text: string): [string, string][] {
  return text
    .split(/[,、，\s]+/)
    .filter((x) => x.length > 0)
    .map((x): [string, string] => {
      const [a = '', b] = x.split('..');
      return [a, b ?? a];
    });
}
