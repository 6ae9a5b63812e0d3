// Lectr dashboard: small progressive enhancements. Everything works without this file.
// Served from /assets/app.js under a CSP without 'unsafe-inline', so all behaviour is wired here, not in attributes.
;(function () {
  'use strict'
  document.documentElement.classList.add('js')

  // The org switcher submits on change; its "Switch" button is only for visitors without JavaScript.
  document.addEventListener('change', function (event) {
    var form = event.target && event.target.closest && event.target.closest('form.js-autosubmit')
    if (form) form.requestSubmit()
  })

  // Destructive forms (revoke a key, remove Azure settings) ask first.
  document.addEventListener('submit', function (event) {
    var form = event.target
    var question = form && form.getAttribute && form.getAttribute('data-confirm')
    if (question && !window.confirm(question)) event.preventDefault()
  })

  // Copy buttons: shown only when they can work.
  function wireCopyButtons(root) {
    root.querySelectorAll('button[data-copy]').forEach(function (button) {
      var target = document.querySelector(button.getAttribute('data-copy'))
      if (!target) return
      button.hidden = false
      button.addEventListener('click', function () {
        target.select()
        var done = function () {
          button.textContent = 'Copied'
          setTimeout(function () { button.textContent = 'Copy' }, 2000)
        }
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(target.value).then(done, function () {})
        } else if (document.execCommand('copy')) {
          done()
        }
      })
    })
  }

  document.addEventListener('DOMContentLoaded', function () { wireCopyButtons(document) })
})()
