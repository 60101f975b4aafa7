-- Neovim 0.7 (Debian's): start_client and buf_attach_client.
vim.g.do_filetype_lua = 1
vim.cmd("filetype on")
vim.filetype.add({ extension = { tenet = "tenet" } })
local id = nil
vim.api.nvim_create_autocmd("FileType", { pattern = "tenet", callback = function(args)
  id = id or vim.lsp.start_client({ name = "tenet", cmd = { vim.env.TENET or "tenet", "lsp" }, root_dir = vim.fn.getcwd() })
  vim.lsp.buf_attach_client(args.buf, id)
end })
