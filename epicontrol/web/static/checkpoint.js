// Checkpoint page: scan passes with the camera or type them; shows colour, direction, name.
// Camera decoding uses the BarcodeDetector API where the browser has it and otherwise the
// vendored jsQR (static/vendor/), so the page works offline. Each scan carries a uuid made
// here, and a resend after a network error reuses it: the server stores the scan once.
(function () {
  "use strict";

  const root = document.getElementById("checkpoint");
  if (!root) return;

  const place = root.dataset.place || null;
  const result = document.getElementById("result");
  const form = document.getElementById("scan-form");
  const codeInput = document.getElementById("code");
  const temperatureInput = document.getElementById("temperature");
  const cameraButton = document.getElementById("camera-start");
  const video = document.getElementById("camera");
  const cameraStatus = document.getElementById("camera-status");

  const COLOUR_WORDS = { green: "绿码 GREEN", yellow: "黄码 YELLOW", red: "红码 RED" };
  const DIRECTION_WORDS = { in: "进 IN", out: "出 OUT" };
  // A pass held in front of the camera is one scan: the same code counts again only after it
  // has been out of view this long (someone coming back through the gate).
  const REPEAT_SCAN_MS = 2000;
  const SCAN_INTERVAL_MS = 150; // decode about 7 frames a second: quick, and spares the battery

  let busy = false;

  function newUuid() {
    // crypto.randomUUID exists only in secure contexts; getRandomValues works everywhere.
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function clockNow() {
    return new Date().toLocaleTimeString("zh-CN", { hour12: false });
  }

  function showResult(scan, temperature) {
    result.className = "result " + (COLOUR_WORDS[scan.colour] ? scan.colour : "red");
    result.dataset.colour = scan.colour;
    result.dataset.direction = scan.direction;
    result.replaceChildren(
      element("p", "colour-word", COLOUR_WORDS[scan.colour] || scan.colour),
      element("p", "direction", DIRECTION_WORDS[scan.direction] || scan.direction),
      element("p", "name", scan.name_masked),
    );
    if (scan.temperature_alert) {
      result.append(element("span", "fever", `⚠ 体温异常 ${temperature} °C Fever: measure again, refer to a fever clinic`));
    }
    const note = scan.stored ? `已登记 Recorded ${clockNow()}` : `重复扫码，已登记过 Already recorded ${clockNow()}`;
    result.append(element("p", "note", note));
  }

  function showError(message) {
    result.className = "result invalid";
    delete result.dataset.colour;
    delete result.dataset.direction;
    result.replaceChildren(
      element("p", "colour-word", "✖ 无效 INVALID"),
      element("p", "note error", message),
    );
    result.querySelector(".note").setAttribute("role", "alert");
  }

  function messageOf(body, status) {
    const detail = body && body.detail;
    if (typeof detail === "string") {
      // The ingest message names the scan's index and uuid, meaningless to an operator.
      return detail.replace(/^scan \d+ \([0-9a-f-]+\): /, "");
    }
    if (Array.isArray(detail)) {
      return detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
    }
    if (status === 401) return "登录已过期 Session expired: log in again";
    return `服务器错误 Server error (${status})`;
  }

  function selectedDirection() {
    const checked = form.querySelector("input[name=direction]:checked");
    return checked && checked.value ? checked.value : null;
  }

  async function submit(code) {
    if (busy) return false;
    const text = temperatureInput.value.trim();
    const temperature = text === "" ? null : Number(text);
    if (temperature !== null && Number.isNaN(temperature)) {
      showError("体温格式不对 The temperature is not a number");
      return false;
    }
    busy = true;
    const body = JSON.stringify({
      uuid: newUuid(),
      code: code.trim(),
      temperature: temperature,
      direction: selectedDirection(),
      place: place,
    });
    try {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        let response;
        try {
          response = await fetch("/checkpoint/scan", {
            method: "POST",
            credentials: "same-origin",
            headers: {
              "Content-Type": "application/json",
              Accept: "application/json",
              "X-CSRF-Token": csrfToken(), // web/csrf.py: the session cookie's token
            },
            body: body,
          });
        } catch (networkError) {
          await sleep(600 * (attempt + 1)); // same body, same uuid: a resend stores nothing twice
          continue;
        }
        const answer = await response.json().catch(() => null);
        if (response.ok) {
          showResult(answer, temperature);
          codeInput.value = "";
          temperatureInput.value = "";
          return true;
        }
        showError(messageOf(answer, response.status));
        return false;
      }
      showError("网络错误，未登记 Network error: not recorded, scan again");
      return false;
    } finally {
      busy = false;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!codeInput.value.trim()) {
      showError("请输入通行码 Enter a pass code or pass id");
      return;
    }
    submit(codeInput.value).then(() => codeInput.focus());
  });

  // ---- camera ------------------------------------------------------------------------------

  let stream = null;
  let timer = null;
  let lastCode = "";
  let lastSeenAt = 0;

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = () => reject(new Error("could not load " + src));
      document.head.append(script);
    });
  }

  async function makeDecoder() {
    if ("BarcodeDetector" in window) {
      try {
        const formats = await window.BarcodeDetector.getSupportedFormats();
        if (formats.includes("qr_code")) {
          const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
          const decode = async () => {
            const found = await detector.detect(video);
            return found.length ? found[0].rawValue : null;
          };
          return { name: "BarcodeDetector", decode };
        }
      } catch (unsupported) {
        // fall through to jsQR
      }
    }
    if (!window.jsQR) await loadScript("/static/vendor/jsQR.js");
    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    const decode = async () => {
      // Decoding a downscaled frame keeps jsQR fast on a phone; a pass fills the frame anyway.
      const scale = Math.min(1, 640 / video.videoWidth);
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      const image = context.getImageData(0, 0, canvas.width, canvas.height);
      const found = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "attemptBoth" });
      return found ? found.data : null;
    };
    return { name: "jsQR", decode };
  }

  function stopCamera() {
    if (timer) clearTimeout(timer);
    timer = null;
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    video.hidden = true;
    cameraButton.textContent = "摄像头扫码 Scan with camera";
    cameraStatus.textContent = "";
  }

  async function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      cameraStatus.textContent = "此浏览器或非 HTTPS 页面不能用摄像头，请手动输入 No camera here (it needs HTTPS): type the code";
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment", width: { ideal: 1280 }, height: { ideal: 720 } },
        audio: false,
      });
    } catch (denied) {
      cameraStatus.textContent = `摄像头不可用 Camera unavailable: ${denied.message || denied.name}`;
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    const decoder = await makeDecoder();
    cameraButton.textContent = "■ 关闭摄像头 Stop camera";
    cameraStatus.textContent = `对准通行码 Point at a pass (${decoder.name})`;
    const tick = async () => {
      if (!stream) return;
      try {
        const code = video.readyState >= 2 ? await decoder.decode() : null;
        if (code && !busy) {
          const isStillInView = code === lastCode && Date.now() - lastSeenAt < REPEAT_SCAN_MS;
          lastCode = code;
          lastSeenAt = Date.now();
          if (!isStillInView) {
            if (navigator.vibrate) navigator.vibrate(80);
            await submit(code);
            lastSeenAt = Date.now();
          }
        }
      } catch (decodeError) {
        cameraStatus.textContent = `识别出错 Decoding failed: ${decodeError.message}`;
      }
      if (stream) timer = setTimeout(tick, SCAN_INTERVAL_MS);
    };
    tick();
  }

  cameraButton.addEventListener("click", () => (stream ? stopCamera() : startCamera()));
  // A camera left running in a pocket drains the battery; stop it when the page is hidden.
  document.addEventListener("visibilitychange", () => {
    if (document.hidden && stream) stopCamera();
  });
})();
