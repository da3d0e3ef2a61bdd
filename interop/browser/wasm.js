'use strict';
// Runs Go test binaries compiled for js/wasm (go test -c with GOOS=js
// GOARCH=wasm) with Go's wasm_exec.js, one after the other, and reports
// like the browser's echo list (echolist.js): window.interopResult =
// {peer, results: [{name, pass, detail}]}, one result per test, subtest
// and example the output marks "--- PASS" or "--- FAIL" (or "--- SKIP",
// which counts as a failure: the test did not run), and one per binary,
// "BINARY exit", that passes when the binary exited 0.
//
// Query: bin=B&run=R, repeated: the binary at B (served next to this page)
// runs with -test.v -test.run=R. timeout=D is each binary's -test.timeout.
// The binaries get FASTWS_WASM_SERVER, this page's origin as ws:// or
// wss://, and FASTWS_TIME_SCALE=scale when the query has it.

(() => {
  const query = new URLSearchParams(location.search);
  const bins = query.getAll('bin');
  const runs = query.getAll('run');
  const timeout = query.get('timeout') || '2m';
  const decoder = new TextDecoder();
  let output = null; // the running binary's output, as text

  function log(line) {
    document.getElementById('log').textContent += line + '\n';
  }

  // Everything the Go program writes goes through fs.writeSync
  // (wasm_exec.js prints it on the console line by line); a copy is kept.
  const fs = globalThis.fs;
  const writeSync = fs.writeSync.bind(fs);
  fs.writeSync = (fd, buf) => {
    if (output !== null) output += decoder.decode(buf, { stream: true });
    return writeSync(fd, buf);
  };

  // Files in memory, for what a test binary asks of a file system: on
  // js/wasm, testing captures an example's output in a temporary file,
  // and wasm_exec.js answers every file call but stdout's and stderr's
  // with ENOSYS in a page. Just enough for that: open, fstat, read, write,
  // close and unlink of regular files.
  const files = new Map(); // path -> {data: Uint8Array}
  const open = new Map(); // fd -> {file, pos}
  let nextFd = 100;
  const fail = (cb, code) => cb(Object.assign(new Error(code), { code }));
  const O = { O_WRONLY: 1, O_RDWR: 2, O_CREAT: 64, O_EXCL: 128, O_TRUNC: 512, O_APPEND: 1024 };
  Object.assign(fs.constants, O);
  const consoleWrite = fs.write.bind(fs);
  fs.open = (path, flags, mode, cb) => {
    let file = files.get(path);
    if (file && flags & O.O_CREAT && flags & O.O_EXCL) return fail(cb, 'EEXIST');
    if (!file) {
      if (!(flags & O.O_CREAT)) return fail(cb, 'ENOENT');
      file = { data: new Uint8Array(0) };
      files.set(path, file);
    }
    if (flags & O.O_TRUNC) file.data = new Uint8Array(0);
    open.set(nextFd, { file, pos: 0 });
    cb(null, nextFd++);
  };
  fs.fstat = (fd, cb) => {
    const f = open.get(fd);
    if (!f) return fail(cb, 'EBADF');
    cb(null, {
      dev: 0, ino: 0, mode: 0o100600, nlink: 1, uid: 0, gid: 0, rdev: 0, size: f.file.data.length,
      blksize: 4096, blocks: 0, atimeMs: 0, mtimeMs: 0, ctimeMs: 0, isDirectory: () => false,
    });
  };
  fs.write = (fd, buf, offset, length, position, cb) => {
    const f = open.get(fd);
    if (!f) return consoleWrite(fd, buf, offset, length, position, cb); // stdout, stderr
    const at = position === null ? f.pos : position;
    if (at + length > f.file.data.length) {
      const grown = new Uint8Array(at + length);
      grown.set(f.file.data);
      f.file.data = grown;
    }
    f.file.data.set(buf.subarray(offset, offset + length), at);
    if (position === null) f.pos = at + length;
    cb(null, length);
  };
  fs.read = (fd, buf, offset, length, position, cb) => {
    const f = open.get(fd);
    if (!f) return fail(cb, 'EBADF');
    const at = position === null ? f.pos : position;
    const n = Math.max(0, Math.min(length, f.file.data.length - at));
    buf.set(f.file.data.subarray(at, at + n), offset);
    if (position === null) f.pos = at + n;
    cb(null, n);
  };
  fs.close = (fd, cb) => {
    if (!open.delete(fd)) return fail(cb, 'EBADF');
    cb(null);
  };
  fs.unlink = (path, cb) => {
    if (!files.delete(path)) return fail(cb, 'ENOENT');
    cb(null);
  };

  async function runBinary(bin, run) {
    const go = new Go();
    const wsOrigin = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
    go.argv = [bin, '-test.v', `-test.run=${run}`, `-test.timeout=${timeout}`];
    go.env = { FASTWS_WASM_SERVER: wsOrigin };
    if (query.get('scale')) go.env.FASTWS_TIME_SCALE = query.get('scale');
    let exitCode = null;
    go.exit = (code) => { exitCode = code; };
    output = '';
    const start = performance.now();
    try {
      const { instance } = await WebAssembly.instantiateStreaming(fetch(bin), go.importObject);
      log(`${bin}: loaded in ${Math.round(performance.now() - start)} ms`);
      await go.run(instance);
    } catch (err) {
      output += `\nrunner: ${err.stack || err}\n`;
    }
    const text = output;
    output = null;
    const lines = text.split('\n');
    const results = [];
    for (const line of lines) {
      const m = /^\s*--- (PASS|FAIL|SKIP): (\S+) /.exec(line);
      if (m) results.push({ name: m[2], pass: m[1] === 'PASS', detail: line.trim() });
    }
    const tail = lines.slice(-30).join('\n');
    results.push({
      name: `${bin} exit`,
      pass: exitCode === 0,
      detail: exitCode === 0 ? `exit 0 after ${Math.round(performance.now() - start)} ms` : `exit ${exitCode}; last lines:\n${tail}`,
    });
    log(`${bin}: exit ${exitCode}`);
    return results;
  }

  (async () => {
    const results = [];
    try {
      if (bins.length === 0 || bins.length !== runs.length) throw new Error('want bin=B&run=R pairs in the query');
      for (let i = 0; i < bins.length; i++) results.push(...await runBinary(bins[i], runs[i]));
    } catch (err) {
      results.push({ name: 'runner', pass: false, detail: String(err.stack || err) });
    }
    window.interopResult = { peer: `fastws compiled for js/wasm, in ${navigator.userAgent}`, results };
  })();
})();
