#include "smdp/order/qr_code.h"

#include <qrencode.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace smdp::order {
namespace {

constexpr size_t kMaxText = 2048;

QRecLevel Level(QrErrorCorrection correction) {
  switch (correction) {
    case QrErrorCorrection::kLow:
      return QR_ECLEVEL_L;
    case QrErrorCorrection::kMedium:
      return QR_ECLEVEL_M;
    case QrErrorCorrection::kQuartile:
      return QR_ECLEVEL_Q;
    case QrErrorCorrection::kHigh:
      return QR_ECLEVEL_H;
  }
  return QR_ECLEVEL_M;
}

QrRenderOptions Clamped(const QrRenderOptions& options) {
  return {.margin = std::clamp(options.margin, 0, 16),
          .module_pixels = std::clamp(options.module_pixels, 1, 64)};
}

struct QrFree {
  void operator()(QRcode* code) const { QRcode_free(code); }
};

// Module (x, y) of the symbol with a quiet zone of `margin`: dark or not.
bool DarkWithMargin(const QrCode& qr, int margin, int x, int y) {
  x -= margin;
  y -= margin;
  return x >= 0 && y >= 0 && x < qr.size() && y < qr.size() && qr.dark(x, y);
}

void AppendBigEndian32(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

// A PNG chunk: length, type, data, CRC-32 of type and data.
void AppendChunk(std::string& png, absl::string_view type,
                 absl::string_view data) {
  AppendBigEndian32(png, static_cast<uint32_t>(data.size()));
  const size_t start = png.size();
  png.append(type.data(), type.size());
  png.append(data.data(), data.size());
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(png.data() + start),
              static_cast<uInt>(png.size() - start));
  AppendBigEndian32(png, static_cast<uint32_t>(crc));
}

}  // namespace

absl::StatusOr<QrCode> QrCode::Encode(absl::string_view text,
                                      QrErrorCorrection correction) {
  if (text.empty()) return absl::InvalidArgumentError("QR code: empty text");
  if (text.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError("QR code: the text has a NUL");
  }
  if (text.size() > kMaxText) {
    return absl::OutOfRangeError(absl::StrCat(
        "QR code: the text is ", text.size(), " bytes; at most ", kMaxText));
  }
  const std::string c_text(text);
  errno = 0;
  std::unique_ptr<QRcode, QrFree> code(QRcode_encodeString(
      c_text.c_str(), /*version=*/0, Level(correction), QR_MODE_8,
      /*casesensitive=*/1));
  if (code == nullptr) {
    if (errno == ERANGE) {
      return absl::OutOfRangeError("QR code: the text does not fit");
    }
    return absl::InternalError(
        absl::StrCat("QR code: libqrencode failed (errno ", errno, ")"));
  }
  const int size = code->width;
  std::vector<bool> modules(static_cast<size_t>(size) * size);
  for (size_t i = 0; i < modules.size(); ++i) {
    modules[i] = (code->data[i] & 1) != 0;
  }
  return QrCode(code->version, size, std::move(modules));
}

absl::StatusOr<std::string> QrToPng(const QrCode& qr,
                                    const QrRenderOptions& requested) {
  const QrRenderOptions options = Clamped(requested);
  const int modules = qr.size() + 2 * options.margin;
  const int side = modules * options.module_pixels;
  // Scanlines: filter type 0, then one byte per pixel (0 black, 255 white).
  std::string raw;
  raw.reserve(static_cast<size_t>(side) * (side + 1));
  for (int y = 0; y < side; ++y) {
    raw.push_back('\0');
    const int my = y / options.module_pixels;
    for (int x = 0; x < side; ++x) {
      const int mx = x / options.module_pixels;
      raw.push_back(DarkWithMargin(qr, options.margin, mx, my) ? '\x00'
                                                               : '\xff');
    }
  }
  uLongf compressed_size = compressBound(static_cast<uLong>(raw.size()));
  std::string compressed(compressed_size, '\0');
  int z =
      compress2(reinterpret_cast<Bytef*>(compressed.data()), &compressed_size,
                reinterpret_cast<const Bytef*>(raw.data()),
                static_cast<uLong>(raw.size()), Z_BEST_COMPRESSION);
  // compressBound() makes Z_BUF_ERROR impossible; the rest is memory.
  if (z != Z_OK) {
    return absl::InternalError(absl::StrCat("PNG: zlib error ", z));
  }
  compressed.resize(compressed_size);

  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string header;
  AppendBigEndian32(header, static_cast<uint32_t>(side));  // width
  AppendBigEndian32(header, static_cast<uint32_t>(side));  // height
  // Bit depth 8, color type 0 (grayscale), compression 0 (deflate), filter
  // method 0, no interlace.
  header.append("\x08\x00\x00\x00\x00", 5);
  AppendChunk(png, "IHDR", header);
  AppendChunk(png, "IDAT", compressed);
  AppendChunk(png, "IEND", "");
  return png;
}

std::string QrToSvg(const QrCode& qr, const QrRenderOptions& requested) {
  const QrRenderOptions options = Clamped(requested);
  const int side = qr.size() + 2 * options.margin;
  const int pixels = side * options.module_pixels;
  std::string path;
  for (int y = 0; y < qr.size(); ++y) {
    for (int x = 0; x < qr.size();) {
      if (!qr.dark(x, y)) {
        ++x;
        continue;
      }
      int run = 1;
      while (x + run < qr.size() && qr.dark(x + run, y)) ++run;
      absl::StrAppend(&path, "M", x + options.margin, " ", y + options.margin,
                      "h", run, "v1h-", run, "z");
      x += run;
    }
  }
  return absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"",
      pixels, "\" height=\"", pixels, "\" viewBox=\"0 0 ", side, " ", side,
      "\" shape-rendering=\"crispEdges\">\n"
      "<rect width=\"",
      side, "\" height=\"", side,
      "\" fill=\"#ffffff\"/>\n"
      "<path fill=\"#000000\" d=\"",
      path, "\"/>\n</svg>\n");
}

std::string QrToTerminal(const QrCode& qr, const QrRenderOptions& requested) {
  const QrRenderOptions options = Clamped(requested);
  static constexpr char kUpper[] = "\u2580";  // ▀
  static constexpr char kLower[] = "\u2584";  // ▄
  static constexpr char kFull[] = "\u2588";   // █
  const int side = qr.size() + 2 * options.margin;
  std::string out;
  for (int y = 0; y < side; y += 2) {
    for (int x = 0; x < side; ++x) {
      const bool top_light = !DarkWithMargin(qr, options.margin, x, y);
      // Below the last row (odd side): nothing, i.e. not light.
      const bool bottom_light =
          y + 1 < side && !DarkWithMargin(qr, options.margin, x, y + 1);
      if (top_light && bottom_light) {
        out += kFull;
      } else if (top_light) {
        out += kUpper;
      } else if (bottom_light) {
        out += kLower;
      } else {
        out += ' ';
      }
    }
    out += '\n';
  }
  return out;
}

}  // namespace smdp::order
