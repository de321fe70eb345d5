/* The GAN Book's live apps: the latent explorer and the conditional sampler, run in the page.
 *
 * TensorFlow.js (tfjs-core with its CPU backend, from npm) does the arithmetic; this file only
 * chains its operations as the exported manifest lists them (ganlib/web.py writes
 * `_static/live/<model>.js`, which calls GanlibLive.register).  A page asks for an app with
 *
 *   <div class="ganlib-live" data-app="explorer" data-model="dcgan-mnist"></div>
 *   <div class="ganlib-live" data-app="sampler" data-model="cgan-mnist" data-digit="7"></div>
 *
 * The noise of each seed comes from the export (drawn by NumPy), so a seed gives the same digits
 * here as in Python.  Each app element gets data-state ("loading", "ready", "error"), a
 * data-renders counter and, after every drawing, `element.ganlibLast` (the pixels in [-1, 1]
 * and the latent vectors), which the browser test compares with Keras.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script ? script.src.replace(/[^/]*$/, "") : "";  // .../_static/live/
  var pending = {};  // model name -> {promise, resolve, reject}

  function bytesOf(text) {
    var binary = atob(text), out = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  }

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function entry(name) {
    if (!pending[name]) {
      var e = {};
      e.promise = new Promise(function (resolve, reject) { e.resolve = resolve; e.reject = reject; });
      pending[name] = e;
    }
    return pending[name];
  }

  /* A generator built from an export: run(z, labels) -> tf.Tensor (N, 28, 28, 1) in [-1, 1]. */
  function Model(manifest, floats) {
    this.manifest = manifest;
    this.floats = floats;
    var self = this;
    this.ops = manifest.ops.map(function (op) {
      var out = {};
      Object.keys(op).forEach(function (key) {
        var value = op[key];
        out[key] = value && value.offset !== undefined ? self.tensor(value) : value;
      });
      return out;
    });
  }

  Model.prototype.array = function (ref) {
    var size = ref.shape.reduce(function (a, b) { return a * b; }, 1);
    return this.floats.subarray(ref.offset, ref.offset + size);
  };

  Model.prototype.tensor = function (ref) {
    return tf.keep(tf.tensor(this.array(ref), ref.shape, "float32"));
  };

  /* Row `seed` of the export's noise table (NumPy's default_rng(seed) standard normals). */
  Model.prototype.stream = function (seed) {
    var shape = this.manifest.noise.shape;
    if (!(seed >= 0 && seed < shape[0] && Math.floor(seed) === seed)) {
      throw new Error("seed " + seed + " is not stored on this page: choose 0 to " + (shape[0] - 1));
    }
    var start = this.manifest.noise.offset + seed * shape[1];
    return this.floats.subarray(start, start + shape[1]);
  };

  Model.prototype.run = function (z, labels) {
    var d = this.manifest.latent_dim, n = z.length / d, ops = this.ops, name = this.manifest.name;
    return tf.tidy(function () {
      var x = tf.tensor2d(z, [n, d], "float32");
      var y = labels ? tf.tensor1d(Int32Array.from(labels), "int32") : null;
      ops.forEach(function (op) {
        var width = x.shape[x.shape.length - 1];
        switch (op.op) {
          case "categorical_code": {  // c = floor(K Phi(z0)), x = [one_hot(c), z1..]
            var k = op.categories;
            var z0 = tf.reshape(tf.slice(x, [0, 0], [n, 1]), [n]);
            var uniform = tf.mul(0.5, tf.add(1, tf.erf(tf.div(z0, Math.SQRT2))));
            var code = tf.cast(tf.clipByValue(tf.floor(tf.mul(uniform, k)), 0, k - 1), "int32");
            x = tf.concat([tf.cast(tf.oneHot(code, k), "float32"), tf.slice(x, [0, 1], [n, width - 1])], 1);
            break;
          }
          case "concat_label":
            x = tf.concat([x, tf.cast(tf.oneHot(y, op.classes), "float32")], 1);
            break;
          case "dense":
            x = tf.matMul(x, op.kernel);
            if (op.bias) x = tf.add(x, op.bias);
            break;
          case "batch_norm":
            x = tf.batchNorm(x, op.mean, op.variance, op.beta, op.gamma, op.epsilon);
            break;
          case "conditional_batch_norm": {  // (1 + G[y]) x_hat + B[y]
            var shape = x.rank === 4 ? [n, 1, 1, width] : [n, width];
            var normal = tf.batchNorm(x, op.mean, op.variance, undefined, undefined, op.epsilon);
            var g = tf.reshape(tf.gather(op.gamma, y), shape), b = tf.reshape(tf.gather(op.beta, y), shape);
            x = tf.add(tf.mul(tf.add(1, g), normal), b);
            break;
          }
          case "relu":
            x = tf.relu(x);
            break;
          case "reshape":
            x = tf.reshape(x, [n].concat(op.shape));
            break;
          case "conv2d_transpose": {
            var s = op.strides;
            var output = [n, x.shape[1] * s[0], x.shape[2] * s[1], op.filters];
            x = tf.conv2dTranspose(x, op.kernel, output, s, "same");
            if (op.bias) x = tf.add(x, op.bias);
            if (op.activation === "tanh") x = tf.tanh(x);
            break;
          }
          default:
            throw new Error("unknown operation " + op.op + " in the export of " + name);
        }
      });
      return x;
    });
  };

  /* ---------------- latent paths (ganlib.latent, same formulas) ---------------- */

  function norm(v) { var s = 0; for (var i = 0; i < v.length; i++) s += v[i] * v[i]; return Math.sqrt(s); }

  function linspace(a, b, n) {
    var out = [];
    for (var i = 0; i < n; i++) out.push(n === 1 ? a : a + (b - a) * i / (n - 1));
    return out;
  }

  /* (steps x d) float32, slerp or linear from a to b inclusive: ganlib.latent.interpolate. */
  function interpolate(a, b, steps, method) {
    var d = a.length, out = new Float32Array(steps * d), ts = linspace(0, 1, steps);
    var na = norm(a), nb = norm(b), dot = 0;
    for (var i = 0; i < d; i++) dot += a[i] * b[i];
    var angle = Math.acos(Math.min(1, Math.max(-1, dot / (na * nb))));
    var spherical = method === "slerp" && angle >= 1e-6;
    if (method === "slerp" && Math.PI - angle < 1e-6) throw new Error("slerp is undefined for opposite endpoints");
    ts.forEach(function (t, row) {
      var wa = spherical ? Math.sin((1 - t) * angle) / Math.sin(angle) : 1 - t;
      var wb = spherical ? Math.sin(t * angle) / Math.sin(angle) : t;
      for (var i = 0; i < d; i++) out[row * d + i] = wa * a[i] + wb * b[i];
    });
    return out;
  }

  /* Copies of z with coordinate j set to each value: ganlib.latent.walk. */
  function walk(z, j, values) {
    var d = z.length, out = new Float32Array(values.length * d);
    values.forEach(function (v, row) { out.set(z, row * d); out[row * d + j] = v; });
    return out;
  }

  /* n rows of noise from one seed's stream, |z| > T redrawn in row-major order: truncated_normal. */
  function truncatedNoise(stream, n, d, threshold) {
    var z = new Float32Array(stream.subarray(0, n * d)), next = n * d;
    if (threshold === null) return z;
    for (;;) {
      var outside = [];
      for (var i = 0; i < z.length; i++) if (Math.abs(z[i]) > threshold) outside.push(i);
      if (!outside.length) return z;
      if (next + outside.length > stream.length) throw new Error("this seed's stored noise ran out; pick a larger truncation");
      outside.forEach(function (i) { z[i] = stream[next++]; });
    }
  }

  /* ganlib.latent.stroke_stats of uint8 images: ink (mean of w) and slant (cov(x, y) / var(y)). */
  function strokeStats(pixels, index) {
    var total = 0, sx = 0, sy = 0, sxy = 0, syy = 0, o = index * 784;
    for (var r = 0; r < 28; r++) for (var c = 0; c < 28; c++) {
      var p = pixels[o + r * 28 + c] / 255, y = 27 - r;
      total += p; sx += p * c; sy += p * y; sxy += p * c * y; syy += p * y * y;
    }
    if (total <= 0) return {ink: 0, slant: 0};
    var mx = sx / total, my = sy / total, cov = sxy / total - mx * my, vary = syy / total - my * my;
    return {ink: total / 784, slant: vary > 0 ? cov / vary : 0};
  }

  /* ---------------- drawing ---------------- */

  function toUint8(values) {
    var out = new Uint8ClampedArray(values.length);
    for (var i = 0; i < values.length; i++) out[i] = Math.round((values[i] + 1) * 127.5);
    return out;
  }

  /* One row of digits as the book's pictures draw them (ganlib.utils.png_bytes): dark strokes on
     white, 2 pixels apart, every pixel `scale` times larger. */
  function drawRow(canvas, pixels, count, scale) {
    var pad = 2;
    canvas.width = (count * (28 + pad) + pad) * scale;
    canvas.height = (28 + 2 * pad) * scale;
    canvas.style.maxWidth = "100%";
    var context = canvas.getContext("2d");
    context.fillStyle = "#000";  // the gaps, as image_grid's white padding once inverted
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.imageSmoothingEnabled = false;
    var tile = document.createElement("canvas");
    tile.width = tile.height = 28;
    var tileContext = tile.getContext("2d"), image = tileContext.createImageData(28, 28);
    for (var k = 0; k < count; k++) {
      for (var i = 0; i < 784; i++) {
        var v = 255 - pixels[k * 784 + i];
        image.data[4 * i] = image.data[4 * i + 1] = image.data[4 * i + 2] = v;
        image.data[4 * i + 3] = 255;
      }
      tileContext.putImageData(image, 0, 0);
      context.drawImage(tile, (pad + k * (28 + pad)) * scale, pad * scale, 28 * scale, 28 * scale);
    }
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function control(label, input) {
    var wrap = element("label", {"class": "ganlib-live-control"});
    wrap.appendChild(element("span", {}, label));
    wrap.appendChild(input);
    var readout = element("output", {});
    if (input.type === "range") {
      readout.textContent = input.value;
      input.addEventListener("input", function () { readout.textContent = input.value; });
      wrap.appendChild(readout);
    }
    return wrap;
  }

  function range(name, min, max, step, value) {
    return element("input", {type: "range", name: name, min: min, max: max, step: step, value: value});
  }

  function select(name, options, value) {
    var node = element("select", {name: name});
    options.forEach(function (o) {
      var option = element("option", {value: o[1]}, o[0]);
      if (String(o[1]) === String(value)) option.selected = true;
      node.appendChild(option);
    });
    return node;
  }

  function fmt(x, digits, sign) { return (sign && x >= 0 ? "+" : "") + x.toFixed(digits); }

  /* ---------------- the apps ---------------- */

  function explorer(root, model) {
    var m = model.manifest, seeds = m.noise.shape[0];
    var seedA = range("seed_a", 0, seeds - 1, 1, root.dataset.seedA || 0);
    var seedB = range("seed_b", 0, seeds - 1, 1, root.dataset.seedB || 1);
    var method = select("method", [["slerp", "slerp"], ["linear", "linear"]], "slerp");
    var steps = range("steps", 3, 15, 1, 9);
    var moves = [];
    if (m.categories) moves.push(["categorical code c (z[0], " + m.categories + " values)", "code"]);
    m.continuous.forEach(function (j, i) { moves.push(["continuous code " + (i + 1) + " (z[" + j + "])", "continuous " + (i + 1)]); });
    moves.push(["one noise coordinate (pick below)", "coordinate"]);
    var direction = select("direction", moves, moves[0][1]);
    var firstFree = m.continuous.length ? m.continuous[m.continuous.length - 1] + 1 : (m.categories ? 1 : 0);
    var coordinate = range("coordinate", 0, m.latent_dim - 1, 1, firstFree);
    var span = range("span", 0.5, 4, 0.5, 2.5);
    var captionTop = element("p", {"class": "ganlib-live-caption"});
    var captionBottom = element("p", {"class": "ganlib-live-caption"});
    var top = element("canvas", {"class": "ganlib-live-row", "data-row": "interpolation"});
    var bottom = element("canvas", {"class": "ganlib-live-row", "data-row": "walk"});
    var rows = [
      [control("seed A", seedA), control("seed B", seedB), control("path", method)],
      [control("steps", steps)], [captionTop], [top],
      [control("move", direction)], [control("coordinate", coordinate), control("span \u00b1", span)],
      [captionBottom], [bottom]];
    rows.forEach(function (nodes) {
      var line = element("div", {"class": "ganlib-live-line"});
      nodes.forEach(function (node) { line.appendChild(node); });
      root.appendChild(line);
    });

    function render() {
      var d = m.latent_dim, n = +steps.value, a = model.stream(+seedA.value), b = model.stream(+seedB.value);
      coordinate.disabled = direction.value !== "coordinate";
      span.disabled = direction.value === "code";
      var path = interpolate(a, b, n, method.value);
      var values, j;
      if (direction.value === "code") {
        values = m.category_values; j = 0;
      } else {
        values = linspace(-(+span.value), +span.value, n);
        j = direction.value === "coordinate" ? +coordinate.value : m.continuous[+direction.value.split(" ")[1] - 1];
      }
      var moved = walk(a, j, values);
      var started = performance.now();
      var imagesTop = model.run(path), imagesBottom = model.run(moved);
      var floatsTop = imagesTop.dataSync(), floatsBottom = imagesBottom.dataSync();
      imagesTop.dispose(); imagesBottom.dispose();
      var ms = performance.now() - started;
      var pixelsTop = toUint8(floatsTop), pixelsBottom = toUint8(floatsBottom);
      drawRow(top, pixelsTop, n, 3);
      drawRow(bottom, pixelsBottom, values.length, 3);
      var norms = [];
      for (var r = 0; r < n; r++) norms.push(norm(path.subarray(r * d, (r + 1) * d)));
      captionTop.innerHTML = "<b>" + method.value + "</b> from seed " + seedA.value + " to seed " + seedB.value +
        " in " + n + " steps; noise norm " + norms[0].toFixed(1) + " &rarr; " + Math.min.apply(null, norms).toFixed(1) +
        " (smallest) &rarr; " + norms[n - 1].toFixed(1);
      var first = strokeStats(pixelsBottom, 0), last = strokeStats(pixelsBottom, values.length - 1);
      var text = direction.value === "code"
        ? "seed " + seedA.value + " with the categorical code c = 0, 1, ..., " + (m.categories - 1)
        : "seed " + seedA.value + " with z[" + j + "] = " + fmt(values[0], 2, true) + " ... " + fmt(values[values.length - 1], 2, true) +
          (m.categories && j === 0 ? " (z[0] is the categorical code's input)" : "");
      captionBottom.innerHTML = text + "; ink " + first.ink.toFixed(2) + " &rarr; " + last.ink.toFixed(2) +
        ", slant " + fmt(first.slant, 2, true) + " &rarr; " + fmt(last.slant, 2, true) +
        " <span class=\"ganlib-live-time\">(" + (n + values.length) + " digits drawn in your browser in " +
        Math.round(ms) + " ms)</span>";
      root.ganlibLast = {interpolation: floatsTop, walk: floatsBottom, z_interpolation: path, z_walk: moved,
        ms: ms, settings: {seed_a: +seedA.value, seed_b: +seedB.value, method: method.value, steps: n,
                   direction: direction.value, coordinate: +coordinate.value, span: +span.value}};
    }
    return {render: render, inputs: [seedA, seedB, method, steps, direction, coordinate, span]};
  }

  function sampler(root, model) {
    var m = model.manifest, seeds = m.noise.shape[0];
    var digits = [];
    for (var k = 0; k < m.classes; k++) digits.push([String(k), k]);
    var digit = select("digit", digits, root.dataset.digit || 0);
    var truncation = select("truncation", m.truncations.map(function (t) {
      return [t === null ? "none" : t.toFixed(2), t === null ? "none" : t];
    }), root.dataset.truncation || "none");
    var seed = range("seed", 0, seeds - 1, 1, root.dataset.seed || 0);
    var caption = element("p", {"class": "ganlib-live-caption"});
    var row = element("canvas", {"class": "ganlib-live-row", "data-row": "samples"});
    [[control("digit", digit), control("truncation T", truncation), control("seed", seed)], [caption], [row]]
      .forEach(function (nodes) {
        var line = element("div", {"class": "ganlib-live-line"});
        nodes.forEach(function (node) { line.appendChild(node); });
        root.appendChild(line);
      });

    function render() {
      var n = m.images, t = truncation.value === "none" ? null : +truncation.value;
      var z = truncatedNoise(model.stream(+seed.value), n, m.latent_dim, t);
      var labels = [];
      for (var i = 0; i < n; i++) labels.push(+digit.value);
      var started = performance.now();
      var images = model.run(z, labels), floats = images.dataSync();
      images.dispose();
      var ms = performance.now() - started;
      drawRow(row, toUint8(floats), n, 3);
      caption.innerHTML = n + " samples of the digit <b>" + digit.value + "</b> from seed " + seed.value +
        (t === null ? ", untruncated noise" : ", every noise coordinate with |z| &gt; " + t.toFixed(2) + " redrawn") +
        " <span class=\"ganlib-live-time\">(drawn in your browser in " + Math.round(ms) + " ms)</span>";
      root.ganlibLast = {samples: floats, z: z, labels: labels,
        ms: ms, settings: {digit: +digit.value, truncation: t, seed: +seed.value, n: n}};
    }
    return {render: render, inputs: [digit, truncation, seed]};
  }

  var APPS = {explorer: explorer, sampler: sampler};

  function start(root) {
    var name = root.dataset.model, kind = root.dataset.app;
    root.dataset.state = "loading";
    root.dataset.renders = "0";
    var status = element("p", {"class": "ganlib-live-status"}, "Loading the generator " + name + " ...");
    root.textContent = "";
    root.appendChild(status);
    GanlibLive.load(name).then(function (model) {
      status.remove();
      var app = APPS[kind](root, model);
      root.appendChild(element("p", {"class": "ganlib-live-time"}, "The generator " + name + " runs in your browser " +
        "(TensorFlow.js, " + tf.getBackend() + " backend); its weights " +
        (model.verified ? "matched their sha256." : "were not checked: this browser offers no WebCrypto here.")));
      var redraw = function () {
        try {
          app.render();
          root.dataset.renders = String(+root.dataset.renders + 1);
          root.dataset.state = "ready";
        } catch (error) {
          root.dataset.state = "error";
          status.textContent = "Error: " + error.message;
          root.insertBefore(status, root.firstChild);
        }
      };
      app.inputs.forEach(function (input) { input.addEventListener("change", redraw); });
      redraw();
    }).catch(function (error) {
      root.dataset.state = "error";
      status.textContent = "The live app could not start: " + error.message;
    });
  }

  window.GanlibLive = {
    /* Called by _static/live/<model>.js: check the weights against the manifest's sha256. */
    register: function (manifest, data) {
      var e = entry(manifest.name), bytes = bytesOf(data);
      e.requested = true;  // here already: load() has nothing to fetch
      if (bytes.length !== manifest.bytes) {
        e.reject(new Error("the weights file of " + manifest.name + " is cut short (" + bytes.length + " of " +
          manifest.bytes + " bytes): rebuild the site"));
        return;
      }
      var digest = window.crypto && window.crypto.subtle
        ? window.crypto.subtle.digest("SHA-256", bytes).then(hex) : Promise.resolve(null);
      digest.then(function (sha) {
        if (sha !== null && sha !== manifest.sha256) {
          throw new Error("the weights of " + manifest.name + " do not match their sha256 (corrupt file): rebuild the site");
        }
        var model = new Model(manifest, new Float32Array(bytes.buffer));
        model.verified = sha !== null;
        e.resolve(model);
      }).catch(e.reject);
    },
    /* A Promise of the model `name`, loading _static/live/<name>.js once. */
    load: function (name) {
      var e = entry(name);
      if (!e.requested) {
        e.requested = true;
        if (!window.tf) {
          e.reject(new Error("TensorFlow.js did not load"));
        } else {
          var tag = document.createElement("script");
          tag.src = base + name + ".js";
          tag.onerror = function () { e.reject(new Error("no exported weights at " + tag.src)); };
          document.head.appendChild(tag);
        }
      }
      return e.promise;
    },
    /* The generator's pixels in [-1, 1] for latent vectors z (flat, N x latent_dim) and labels. */
    run: function (name, z, labels) {
      return GanlibLive.load(name).then(function (model) {
        var out = model.run(Float32Array.from(z), labels || null), values = Array.from(out.dataSync());
        out.dispose();
        return values;
      });
    },
    backend: function () { return window.tf ? tf.getBackend() : null; },
    start: start
  };

  function startAll() {
    if (window.tf) tf.setBackend("cpu");
    Array.prototype.forEach.call(document.querySelectorAll(".ganlib-live"), start);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", startAll);
  else startAll();
})();
