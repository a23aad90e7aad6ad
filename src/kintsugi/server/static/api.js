// Server calls. XMLHttpRequest rather than fetch: it reports upload and download progress,
// which is most of the wait for a large page; onStage tells the user which stage a request is in.

export function send(url, form, { label, onStage }) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.responseType = "blob";
    const started = performance.now();
    let stage = `${label}: uploading`;
    onStage(stage);
    const tick = setInterval(() => {
      if (xhr.readyState === XMLHttpRequest.DONE) return;
      onStage(`${stage}… ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }, 200);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) {
        stage = e.loaded < e.total ? `${label}: uploading ${Math.round((e.loaded / e.total) * 100)}%` : `${label}: working on the server`;
        onStage(stage);
      }
    };
    xhr.upload.onload = () => {
      stage = `${label}: working on the server`;
    };
    xhr.onprogress = (e) => {
      if (e.lengthComputable && e.total > 1e6) stage = `${label}: downloading ${Math.round((e.loaded / e.total) * 100)}%`;
    };
    xhr.onload = async () => {
      clearInterval(tick);
      if (xhr.status === 200) {
        resolve({ blob: xhr.response, header: (name) => xhr.getResponseHeader(name) });
      } else {
        reject(new Error(await errorText(xhr)));
      }
    };
    xhr.onerror = () => {
      clearInterval(tick);
      reject(new Error("the kintsugi server did not answer (is `kintsugi serve` still running?)"));
    };
    xhr.send(form);
  });
}

async function errorText(xhr) {
  let message = `HTTP ${xhr.status}`;
  try {
    const body = JSON.parse(await xhr.response.text());
    message = body.error || message;
  } catch {
    // not JSON: keep the status
  }
  const retry = xhr.getResponseHeader("Retry-After");
  return xhr.status === 503 && retry ? `${message} (retry in ${retry} s)` : message;
}

// POST with a retry on 503 (the server's queue is full): the page's batch work waits its turn
// instead of failing.
export async function sendRetrying(url, makeForm, options, attempts = 5) {
  for (let i = 1; ; i++) {
    try {
      return await send(url, makeForm(), options);
    } catch (error) {
      const busy = /busy/.test(error.message);
      if (!busy || i >= attempts) throw error;
      options.onStage(`${options.label}: the server is busy, waiting…`);
      await new Promise((resolve) => setTimeout(resolve, 1000 * i));
    }
  }
}

export async function getJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

export function imageForm(blob) {
  const form = new FormData();
  form.append("image", blob, "image");
  return form;
}
