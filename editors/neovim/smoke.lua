-- A headless smoke test of `tenet lsp` in Neovim 0.7+ (Debian's), from the repository root:
--   TENET=target/release/tenet nvim --headless -u editors/neovim/init.lua -c "luafile editors/neovim/smoke.lua"
-- It opens a shipped rule file and prints what the server answers: diagnostics, hover,
-- definition, completion, a typo's diagnostic and its quick fix, formatting.
local function log(...) io.stdout:write(table.concat({...}, " ") .. "\n") end
vim.cmd("edit rules/jurisdictions/us.tenet")
local buf = vim.api.nvim_get_current_buf()
vim.wait(5000, function() return next(vim.lsp.buf_get_clients(buf)) ~= nil end)
local _, client = next(vim.lsp.buf_get_clients(buf))
vim.wait(3000, function() return client and client.initialized end)
log("client:", client and client.name or "none", "encoding:", client and client.offset_encoding or "?")
vim.wait(2000, function() return false end)
log("diagnostics on open:", #vim.diagnostic.get(buf))
local line = vim.fn.search("when us_requester and asks_content and in_provider_control")
local col = vim.fn.getline(line):find("asks_content") - 1
local params = { textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = line - 1, character = col + 2 } }
local hover = vim.lsp.buf_request_sync(buf, "textDocument/hover", params, 3000)
for _, r in pairs(hover or {}) do log("hover:", r.result and (r.result.contents.value:gsub("\n", " ")) or vim.inspect(r.err)) end
local def = vim.lsp.buf_request_sync(buf, "textDocument/definition", params, 3000)
for _, r in pairs(def or {}) do for _, l in ipairs(r.result or {}) do log("definition:", l.uri, l.range.start.line + 1) end end
local comp = vim.lsp.buf_request_sync(buf, "textDocument/completion", params, 3000)
for _, r in pairs(comp or {}) do log("completion items:", #(r.result or {})) end
vim.api.nvim_buf_set_text(buf, line - 1, col, line - 1, col + 12, { "asks_contnt" })
vim.wait(5000, function() return #vim.diagnostic.get(buf) > 0 end)
local lsp_diags = {}
for _, d in ipairs(vim.diagnostic.get(buf)) do
  log("diagnostic:", d.lnum + 1, (d.message:gsub("\n", " | ")))
  table.insert(lsp_diags, { range = { start = { line = d.lnum, character = d.col }, ["end"] = { line = d.end_lnum, character = d.end_col } }, message = d.message })
end
local actions = vim.lsp.buf_request_sync(buf, "textDocument/codeAction", {
  textDocument = { uri = vim.uri_from_bufnr(buf) },
  range = { start = { line = line - 1, character = col }, ["end"] = { line = line - 1, character = col + 11 } },
  context = { diagnostics = lsp_diags } }, 3000)
for _, r in pairs(actions or {}) do for _, a in ipairs(r.result or {}) do log("code action:", a.title) end end
local fmt = vim.lsp.buf_request_sync(buf, "textDocument/formatting", { textDocument = { uri = vim.uri_from_bufnr(buf) }, options = { tabSize = 2, insertSpaces = true } }, 3000)
for _, r in pairs(fmt or {}) do log("formatting edits:", #(r.result or {})) end
vim.cmd("qa!")
