/** The deep mailauth 7 modules mailaudit loads (mailauth ships no types for them); their CommonJS exports, typed where they are used. */
declare module 'mailauth/lib/bimi/validate-svg.js' {
  const validateSvgModule: { validateSvg(svg: string | Buffer): boolean };
  export default validateSvgModule;
}
declare module 'mailauth/lib/spf/index.js' {
  const spfModule: unknown;
  export default spfModule;
}
declare module 'mailauth/lib/spf/macro.js' {
  const macroModule: unknown;
  export default macroModule;
}
