-- MathML for every formula of a document, from the pandoc process that renders its HTML
-- (compiler.math.mathml): a build that needs MathML starts no second pandoc for it.
--
-- The formulas are those of the document's math and of the metadata list `qbank-formulas`
-- (formulas written outside the Markdown: `d` or `i`, display or inline, then the TeX in hex,
-- which no Markdown reader changes). They are converted as `pandoc --mathml --wrap=none`
-- converts a document of fenced divs `qbank-<n>-title`, one formula each (`$tex$`, `$$tex$$`).
-- A formula of the document is built as that document would read (reading `$tex$` gives back
-- the math it was read from, with a newline of inline math as a space), which saves about a
-- tenth of pandoc's time on the real bank; only a formula of `qbank-formulas` is read.
-- That HTML goes first in the output, after a header that no document can forge (it is the
-- first line): `<!-- qbank-mathml <length of that HTML in characters> <d|i><TeX in hex> ... -->`.

local FROM = 'qbank-mathml-from'
local FORMULAS = 'qbank-formulas'
local found, seen = {}, {}

local function add(display, tex, written)
  local name = (display and 'd' or 'i') .. tex
  if not seen[name] then
    seen[name] = true
    found[#found + 1] = { display = display, tex = tex, written = written }
  end
end

local function hex(text)
  return (text:gsub('.', function(c) return string.format('%02x', c:byte()) end))
end

local function unhex(text)
  return (text:gsub('%x%x', function(h) return string.char(tonumber(h, 16)) end))
end

local function markdown(formula)
  if formula.display then
    return '$$' .. formula.tex .. '$$'
  end
  return '$' .. formula.tex:gsub('\n', ' ') .. '$'
end

-- What reading `markdown(formula)` in a div `qbank-<n>-title` gives, for math of the document.
local function div(n, formula)
  local math
  if formula.display then
    math = pandoc.Math('DisplayMath', formula.tex)
  else
    math = pandoc.Math('InlineMath', (formula.tex:gsub('\n', ' ')))
  end
  return pandoc.Div({ pandoc.Para({ math }) }, pandoc.Attr('qbank-' .. n .. '-title'))
end

return {
  {
    Math = function(el)
      add(el.mathtype == 'DisplayMath', el.text, true)
    end,
  },
  {
    Pandoc = function(doc)
      local from = pandoc.utils.stringify(doc.meta[FROM] or 'markdown')
      for _, item in ipairs(doc.meta[FORMULAS] or {}) do
        local text = pandoc.utils.stringify(item)
        add(text:sub(1, 1) == 'd', unhex(text:sub(2)), false)
      end
      doc.meta[FROM] = nil
      doc.meta[FORMULAS] = nil
      local blocks, divs, names = pandoc.Blocks({}), {}, {}
      for n, formula in ipairs(found) do
        if formula.written then
          blocks:insert(div(n - 1, formula))
        else
          divs[#divs + 1] = '::: {#qbank-' .. (n - 1) .. '-title}\n' .. markdown(formula) .. '\n:::\n'
        end
        names[n] = (formula.display and 'd' or 'i') .. hex(formula.tex)
      end
      if #divs > 0 then
        blocks:extend(pandoc.read(table.concat(divs, '\n'), from).blocks)
      end
      local html = ''
      if #blocks > 0 then
        html = pandoc.write(pandoc.Pandoc(blocks), 'html5', { html_math_method = 'mathml', wrap_text = 'none' })
      end
      local header = '<!-- qbank-mathml ' .. utf8.len(html) .. ' ' .. table.concat(names, ' ') .. ' -->\n'
      doc.blocks:insert(1, pandoc.RawBlock('html', header .. html))
      return doc
    end,
  },
}
