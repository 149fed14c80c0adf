// The subscriber file a SIM vendor (or the operator) delivers with a batch
// of profiles: one line per subscriber, as CSV.
//
//   # batch 2026-11, operator 26201          <- comments start with '#'
//   ICCID;IMSI;KI;OPC;PIN1;PUK1;PIN2;PUK2;ADM1;MSISDN
//   8949449999999990171;262019876543210;000102...0f;f0e0...00;1234;...
//
//   ASSIGN_OR_RETURN(SubscriberCsvReader reader,
//                    SubscriberCsvReader::Open(file_text));
//   RETURN_IF_ERROR(reader.Seek(batch.resume_position()));  // when resuming
//   while (!reader.done()) {
//     ASSIGN_OR_RETURN(std::vector<SubscriberRow> rows, reader.Next(1000));
//     ... prepare, then stage with resume position reader.position() ...
//   }
//
// Format:
//   * The first line that is neither blank nor a comment is the header; it
//     names the columns, case-insensitive, in any order, spaces, '_' and
//     '-' ignored ("Pin_1" is PIN1). Required: ICCID, IMSI, KI, OPC, and
//     (CsvOptions::require_codes, default on) PIN1, PUK1, PIN2, PUK2,
//     ADM1. Optional: MSISDN, ACC. Aliases: K for KI, ADM for ADM1. Other
//     columns are ignored (vendors add KIC/KID/EKI ...), a known one twice
//     is an error.
//   * The separator is ',', ';' or TAB, detected from the header line
//     (CsvOptions::separator to force one). Fields are trimmed; a field in
//     double quotes loses them (no quotes or separators inside fields).
//     A trailing separator on every line is accepted. CRLF or LF line
//     ends; a UTF-8 byte order mark is skipped.
//   * Values (errors never repeat a secret value):
//       ICCID   19 or 20 digits whose last digit is the Luhn check digit
//               (CsvOptions::check_luhn). 19 digits followed by 'F' (the
//               BCD padding some vendors print) is taken as the 19-digit
//               ICCID; nothing else is accepted (in particular not 18
//               digits: we never invent a check digit).
//       IMSI    6 to 15 digits.
//       KI, OPC 32 hex digits.
//       PIN1/2  4 to 8 digits.  PUK1/2  8 digits.
//       ADM1    8 digits (coded in ASCII like a PIN) or 16 hex digits (the
//               raw key).
//       MSISDN  empty, or '+' (optional) and 1 to 20 digits.
//       ACC     empty, or 4 hex digits.
//     With require_codes off, an empty code keeps the template's value.
//   * ICCIDs and IMSIs must be unique in the file; a duplicate names both
//     lines.
//   * Bounded: lines of at most max_line_length bytes, at most max_rows
//     data rows.
//
// Open() validates the whole file first (every line, and duplicates across
// it) and reports every error it finds, up to max_errors, each with its
// line number, in one InvalidArgument. It keeps no secrets: rows are parsed
// again, chunk by chunk, by Next().
//
// Thread-safety: a reader is a value for one thread at a time.
#ifndef SMDP_PROFILES_PREPARATION_SUBSCRIBER_CSV_H_
#define SMDP_PROFILES_PREPARATION_SUBSCRIBER_CSV_H_

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "profiles/saip/personalization.h"

namespace smdp::profiles::preparation {

struct CsvOptions {
  // ',', ';' or '\t'; 0 (default) detects it from the header line.
  char separator = 0;
  // Longest line, in bytes without the line break. Default 4096.
  size_t max_line_length = 4096;
  // Most data rows in a file. Default 10 million.
  size_t max_rows = 10'000'000;
  // Errors collected before Open() stops looking. Default 100.
  size_t max_errors = 100;
  // Refuse an ICCID whose last digit is not its Luhn check digit. Default on.
  bool check_luhn = true;
  // Require the PIN1, PUK1, PIN2, PUK2 and ADM1 columns and values. Default
  // on; off, they may be missing or empty (the template's values are kept).
  bool require_codes = true;
};

// One subscriber of the file.
struct SubscriberRow {
  size_t line = 0;  // 1-based line number in the file
  saip::SubscriberData data;
};

// Reads a subscriber file held in memory; see the file comment.
class SubscriberCsvReader {
 public:
  // Parses the header and validates every data line of `text`, which must
  // outlive the reader. InvalidArgument lists the errors, one per line of
  // the message ("line 12: ICCID 8949...: Luhn check digit is wrong ...").
  [[nodiscard]] static absl::StatusOr<SubscriberCsvReader> Open(
      absl::string_view text, CsvOptions options = {});

  // Number of data rows in the file.
  size_t row_count() const { return row_count_; }
  // The separator in use.
  char separator() const { return separator_; }
  // Header names of the columns that are ignored.
  const std::vector<std::string>& ignored_columns() const { return ignored_; }
  // Whether the file has an MSISDN / ACC column.
  bool has_msisdn() const;
  bool has_acc() const;

  // The next rows, at most `max_rows` (>= 1), fewer at the end of the file,
  // none once done().
  [[nodiscard]] absl::StatusOr<std::vector<SubscriberRow>> Next(
      size_t max_rows);
  bool done() const { return offset_ >= text_.size(); }

  // The resume position: the line number where Next() continues (one past
  // the last line once done). Store it with each staged chunk.
  size_t position() const { return line_; }
  // Continues at `position` (a value position() returned for this file):
  // rows on earlier lines are skipped. InvalidArgument when `position` is
  // before the first data line or past the end.
  [[nodiscard]] absl::Status Seek(size_t position);

  // Column indexes (in the order of the Column enum in the .cc file).
  static constexpr size_t kColumnCount = 11;

 private:
  SubscriberCsvReader(absl::string_view text, CsvOptions options)
      : text_(text), options_(options) {}

  // Reads the line at offset_ into `*line` and advances; false at the end.
  bool NextLine(absl::string_view* line);
  // Parses one data line; appends its errors to `*errors`.
  std::optional<SubscriberRow> ParseRow(absl::string_view line,
                                        size_t line_number,
                                        std::vector<std::string>* errors) const;

  absl::string_view text_;
  CsvOptions options_;
  char separator_ = ',';
  size_t field_count_ = 0;
  // For each known column, its field index in a line, or -1.
  std::array<int, kColumnCount> index_{};
  std::vector<std::string> ignored_;
  size_t row_count_ = 0;
  size_t data_start_offset_ = 0;  // just after the header line
  size_t data_start_line_ = 0;    // line number after the header
  size_t offset_ = 0;             // of the next line
  size_t line_ = 1;               // number of the next line
};

}  // namespace smdp::profiles::preparation

#endif  // SMDP_PROFILES_PREPARATION_SUBSCRIBER_CSV_H_
