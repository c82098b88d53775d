#!/usr/bin/env node
// The offline compile check: project.config.json points at the mini-program; every JSON parses;
// every page of app.json (main package and subpackages) and every component named in any
// usingComponents exists with its four files (.js .json .wxml .wxss) and components declare
// "component": true; every require() in the mini-program's JS resolves (bare names in
// miniprogram_npm/, as WeChat resolves them). WXML itself is compiled by the Jest page tests.
const fs = require('fs')
const path = require('path')

const FOUR = ['.js', '.json', '.wxml', '.wxss']

function readJson(file, problems) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch (err) {
    problems.push(`${file}: ${fs.existsSync(file) ? `does not parse as JSON (${err.message})` : 'missing'}`)
    return null
  }
}

function walk(dir, out = []) {
  fs.readdirSync(dir, { withFileTypes: true }).forEach((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) walk(full, out)
    else out.push(full)
  })
  return out
}

function checkProject(projectDir) {
  const problems = []
  const config = readJson(path.join(projectDir, 'project.config.json'), problems)
  if (!config) return problems
  if (!config.miniprogramRoot) problems.push('project.config.json: miniprogramRoot is not set')
  const root = path.resolve(projectDir, config.miniprogramRoot || '.')
  if (!fs.existsSync(root)) return problems.concat(`miniprogramRoot ${root} does not exist`)
  const rel = (f) => path.relative(root, f)

  const files = walk(root)
  files.filter((f) => f.endsWith('.json')).forEach((f) => readJson(f, problems))

  const app = readJson(path.join(root, 'app.json'), problems)
  if (!app) return problems
  ;['app.js', 'app.wxss'].forEach((f) => {
    if (!fs.existsSync(path.join(root, f))) problems.push(`${f} is missing`)
  })
  if (app.sitemapLocation && !fs.existsSync(path.join(root, app.sitemapLocation)))
    problems.push(`sitemap ${app.sitemapLocation} is missing`)

  const pages = (app.pages || []).slice()
  ;(app.subPackages || app.subpackages || []).forEach((sub) => {
    if (!sub.root) problems.push('a subpackage has no root')
    ;(sub.pages || []).forEach((p) => pages.push(path.posix.join(sub.root, p)))
  })
  if (!pages.length) problems.push('app.json lists no pages')
  const seen = new Set()
  const checked = new Set()

  function checkUsing(owner, using) {
    Object.keys(using || {}).forEach((tag) => {
      const target = using[tag]
      if (target.startsWith('plugin://')) return
      const base = target.startsWith('/') ? path.join(root, target) : path.resolve(path.dirname(owner), target)
      checkUnit(base, `component <${tag}> of ${rel(owner) || 'app.json'}`, true)
    })
  }

  function checkUnit(base, what, isComponent) {
    if (checked.has(base)) return
    checked.add(base)
    const missing = FOUR.filter((ext) => !fs.existsSync(base + ext))
    if (missing.length) {
      problems.push(`${what} (${rel(base)}) lacks ${missing.join(' ')}`)
      return
    }
    const json = readJson(`${base}.json`, [])
    if (!json) return
    if (isComponent && json.component !== true)
      problems.push(`${what} (${rel(base)}).json does not declare "component": true`)
    checkUsing(base, json.usingComponents)
  }

  pages.forEach((p) => {
    if (seen.has(p)) problems.push(`page ${p} is listed twice`)
    seen.add(p)
    checkUnit(path.join(root, p), `page ${p}`, false)
  })
  checkUsing(path.join(root, 'app'), app.usingComponents)
  if (app.tabBar) {
    ;(app.tabBar.list || []).forEach((t) => {
      if (!(app.pages || []).includes(t.pagePath)) problems.push(`tabBar page ${t.pagePath} is not in the main package`)
    })
  }

  files
    .filter((f) => f.endsWith('.js') && !f.includes(`${path.sep}miniprogram_npm${path.sep}`))
    .forEach((f) => {
      const source = fs.readFileSync(f, 'utf8')
      const re = /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g
      let m
      while ((m = re.exec(source))) {
        const name = m[1]
        let target
        if (name.startsWith('.')) target = path.resolve(path.dirname(f), name)
        else if (name.startsWith('/')) target = path.join(root, name)
        else target = path.join(root, 'miniprogram_npm', name, 'index')
        const ok = [target, `${target}.js`, path.join(target, 'index.js')].some(
          (t) => fs.existsSync(t) && fs.statSync(t).isFile(),
        )
        if (!ok)
          problems.push(
            `${rel(f)}: require('${name}') does not resolve${name.startsWith('.') || name.startsWith('/') ? '' : ' (run npm run build:npm)'}`,
          )
      }
    })
  return problems
}

if (require.main === module) {
  const dir = path.resolve(process.argv[2] || path.join(__dirname, '..'))
  const problems = checkProject(dir)
  if (problems.length) {
    console.error(`mini-program check failed:\n  ${problems.join('\n  ')}`)
    process.exit(1)
  }
  console.log(
    'mini-program check: every page and component has its four files, every JSON parses, every require resolves',
  )
}

module.exports = { checkProject }
