// Files embedded into the binary with `import x from '...' with { type: 'text' }` arrive as strings.
declare module '*.css' {
  const text: string
  export default text
}
declare module '*.svg' {
  const text: string
  export default text
}
declare module '*.min.js' {
  const text: string
  export default text
}
declare module '*/public/app.js' {
  const text: string
  export default text
}
