// The offline compile check passes on the project and catches each kind of breakage.
const fs = require('fs')
const os = require('os')
const path = require('path')
const { checkProject } = require('../../scripts/check-project')

const PROJECT = path.resolve(__dirname, '../..')

function copyProject() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'miniapp-check-'))
  fs.copyFileSync(path.join(PROJECT, 'project.config.json'), path.join(dir, 'project.config.json'))
  fs.cpSync(path.join(PROJECT, 'miniprogram'), path.join(dir, 'miniprogram'), { recursive: true })
  return dir
}

test('the project passes', () => {
  expect(checkProject(PROJECT)).toEqual([])
})

test('a missing file, a broken JSON, an unknown component and a bad require are each reported', () => {
  const dir = copyProject()
  const mp = path.join(dir, 'miniprogram')
  fs.rmSync(path.join(mp, 'pages/family/add/index.wxss'))
  fs.writeFileSync(path.join(mp, 'pages/me/index/index.json'), '{"navigationBarTitleText": "我的",}')
  const confirmJson = path.join(mp, 'pages/booking/confirm/index.json')
  fs.writeFileSync(confirmJson, JSON.stringify({ usingComponents: { 'card-picker': '/components/nope/index' } }))
  fs.appendFileSync(path.join(mp, 'pages/cards/list/index.js'), "\nrequire('../../../utils/gone')\n")
  fs.rmSync(path.join(mp, 'miniprogram_npm'), { recursive: true, force: true })
  const problems = checkProject(dir).join('\n')
  expect(problems).toContain('page pages/family/add/index (pages/family/add/index) lacks .wxss')
  expect(problems).toMatch(/pages\/me\/index\/index\.json: does not parse as JSON/)
  expect(problems).toContain(
    'component <card-picker> of pages/booking/confirm/index (components/nope/index) lacks .js .json .wxml .wxss',
  )
  expect(problems).toContain("pages/cards/list/index.js: require('../../../utils/gone') does not resolve")
  expect(problems).toContain("utils/qr-draw.js: require('qrcode-generator') does not resolve (run npm run build:npm)")
  fs.rmSync(dir, { recursive: true, force: true })
})

test('a page named in app.json but absent is reported', () => {
  const dir = copyProject()
  const appPath = path.join(dir, 'miniprogram/app.json')
  const app = JSON.parse(fs.readFileSync(appPath, 'utf8'))
  app.subPackages[0].pages.push('ghost/index')
  fs.writeFileSync(appPath, JSON.stringify(app))
  expect(checkProject(dir)).toEqual([
    'page pages/cards/ghost/index (pages/cards/ghost/index) lacks .js .json .wxml .wxss',
  ])
  fs.rmSync(dir, { recursive: true, force: true })
})
