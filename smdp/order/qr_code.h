// QR codes (ISO/IEC 18004) of short texts such as an Activation Code, as
// PNG, SVG or text for a terminal.
//
//   ASSIGN_OR_RETURN(QrCode qr, QrCode::Encode("LPA:1$smdp.example$AB-12"));
//   std::string png = QrToPng(qr);           // grayscale PNG
//   std::string svg = QrToSvg(qr);           // one <path>
//   std::cout << QrToTerminal(qr);           // UTF-8 half blocks
//
// The symbol comes from libqrencode (smallest version for the text, modes
// chosen per segment, so an upper-case Activation Code is mostly
// alphanumeric); the PNG is written here with zlib.
//
// Thread-safety: QrCode is an immutable value; the functions are pure.
#ifndef SMDP_SMDP_ORDER_QR_CODE_H_
#define SMDP_SMDP_ORDER_QR_CODE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace smdp::order {

enum class QrErrorCorrection { kLow, kMedium, kQuartile, kHigh };

class QrCode {
 public:
  // The symbol of `text` (1 to 2048 bytes, no NUL). InvalidArgument for an
  // empty text or a NUL; OutOfRange when it does not fit in a QR code.
  [[nodiscard]] static absl::StatusOr<QrCode> Encode(
      absl::string_view text,
      QrErrorCorrection correction = QrErrorCorrection::kMedium);

  // Modules per side (21 for version 1, +4 per version), without the quiet
  // zone.
  int size() const { return size_; }
  int version() const { return version_; }
  // True for a dark module; x, y in [0, size()).
  bool dark(int x, int y) const { return modules_[y * size_ + x]; }

 private:
  QrCode(int version, int size, std::vector<bool> modules)
      : version_(version), size_(size), modules_(std::move(modules)) {}

  int version_;
  int size_;
  std::vector<bool> modules_;
};

// Values out of range are clamped.
struct QrRenderOptions {
  // Light modules around the symbol, 0 to 16 (ISO/IEC 18004 asks for 4).
  int margin = 4;
  // Pixels per module side, 1 to 64 (PNG and the SVG's width and height).
  int module_pixels = 8;
};

// An 8-bit grayscale PNG: dark modules black, the rest white. Internal only
// if zlib fails (out of memory).
[[nodiscard]] absl::StatusOr<std::string> QrToPng(
    const QrCode& qr, const QrRenderOptions& options = {});

// An SVG document: a white background and one black path.
std::string QrToSvg(const QrCode& qr, const QrRenderOptions& options = {});

// Lines of UTF-8 half blocks, two module rows per line, for a terminal with
// a dark background: the characters draw the LIGHT modules (and the quiet
// zone of options.margin), so the code appears dark on light. Every line
// ends with '\n'; module_pixels is ignored.
std::string QrToTerminal(const QrCode& qr, const QrRenderOptions& options = {});

}  // namespace smdp::order

#endif  // SMDP_SMDP_ORDER_QR_CODE_H_
