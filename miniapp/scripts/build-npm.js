#!/usr/bin/env node
// What WeChat DevTools' "构建 npm" does for this project, without DevTools: each runtime
// dependency of package.json goes to miniprogram/miniprogram_npm/<name>/index.js, where the
// mini-program's require('<name>') finds it. Only single-file CommonJS packages are supported
// (a package whose entry requires other files would need bundling): anything else fails loudly.
// It also copies the texts and money helpers both clients share (clients/shared/*.js, ES modules
// the web app imports) to miniprogram_npm/ehealth-shared/, turned into CommonJS.
const fs = require('fs')
const path = require('path')

const ROOT = path.resolve(__dirname, '..')
const OUT = path.join(ROOT, 'miniprogram', 'miniprogram_npm')
const SHARED = path.resolve(ROOT, '..', 'clients', 'shared')
const SHARED_OUT = path.join(OUT, 'ehealth-shared')

// The shared files use a small subset of ES module syntax, so the translation is by line:
// `import { a, b } from './x.js'` -> require; `export const|function NAME` -> module.exports.
// Any other import or export form fails loudly instead of producing a broken copy.
function toCommonJs(source, file) {
  const names = []
  const lines = source.split('\n').map((line, i) => {
    const imp = /^import \{ ([\w, ]+) \} from '(\.\/[\w-]+\.js)'$/.exec(line)
    if (imp) return `const { ${imp[1]} } = require('${imp[2]}')`
    const exp = /^export (const|function) (\w+)/.exec(line)
    if (exp) {
      names.push(exp[2])
      return line.slice('export '.length)
    }
    if (/^(import|export)\b/.test(line)) throw new Error(`${file}:${i + 1}: unsupported module syntax: ${line}`)
    return line
  })
  return `${lines.join('\n').trimEnd()}\n\nmodule.exports = { ${names.join(', ')} }\n`
}

function buildShared() {
  fs.mkdirSync(SHARED_OUT, { recursive: true })
  return fs
    .readdirSync(SHARED)
    .filter((f) => f.endsWith('.js'))
    .map((f) => {
      const source = fs.readFileSync(path.join(SHARED, f), 'utf8')
      fs.writeFileSync(path.join(SHARED_OUT, f), toCommonJs(source, path.join(SHARED, f)))
      return `ehealth-shared/${f}`
    })
}

function build() {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
  const built = []
  Object.keys(pkg.dependencies || {}).forEach((name) => {
    const entry = require.resolve(name, { paths: [ROOT] })
    const source = fs.readFileSync(entry, 'utf8')
    if (/\brequire\s*\(/.test(source))
      throw new Error(`${name}: its entry ${entry} requires other files; bundle it first`)
    const dir = path.join(OUT, name)
    fs.mkdirSync(dir, { recursive: true })
    fs.writeFileSync(path.join(dir, 'index.js'), source)
    built.push(name)
  })
  return built.concat(buildShared())
}

if (require.main === module) {
  const built = build()
  console.log(`miniprogram_npm: ${built.join(', ') || 'nothing to build'}`)
}

module.exports = { build, toCommonJs }
