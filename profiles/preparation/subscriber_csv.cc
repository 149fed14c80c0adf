#include "profiles/preparation/subscriber_csv.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "profiles/saip/coding.h"

namespace smdp::profiles::preparation {
namespace {

enum Column : size_t {
  kIccid,
  kImsi,
  kKi,
  kOpc,
  kPin1,
  kPuk1,
  kPin2,
  kPuk2,
  kAdm1,
  kMsisdn,
  kAcc,
};

struct ColumnInfo {
  const char* name;
  bool required;       // always required
  bool required_code;  // required with CsvOptions::require_codes
};

constexpr ColumnInfo kColumns[SubscriberCsvReader::kColumnCount] = {
    {"ICCID", true, false},   {"IMSI", true, false}, {"KI", true, false},
    {"OPC", true, false},     {"PIN1", false, true}, {"PUK1", false, true},
    {"PIN2", false, true},    {"PUK2", false, true}, {"ADM1", false, true},
    {"MSISDN", false, false}, {"ACC", false, false},
};

// The column a header name stands for, or -1.
int ColumnOf(absl::string_view name) {
  std::string key;
  for (char c : name) {
    if (c == ' ' || c == '_' || c == '-') continue;
    key.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  if (key == "K") return kKi;
  if (key == "ADM") return kAdm1;
  for (size_t i = 0; i < SubscriberCsvReader::kColumnCount; ++i) {
    if (key == kColumns[i].name) return static_cast<int>(i);
  }
  return -1;
}

// Splits `line` at `sep`, trims each field and removes enclosing quotes.
// False when a field holds a stray quote.
bool SplitFields(absl::string_view line, char sep,
                 std::vector<absl::string_view>* fields) {
  fields->clear();
  size_t start = 0;
  while (true) {
    const size_t end = line.find(sep, start);
    absl::string_view f = absl::StripAsciiWhitespace(
        line.substr(start, end == absl::string_view::npos ? end : end - start));
    if (f.size() >= 2 && f.front() == '"' && f.back() == '"') {
      f = absl::StripAsciiWhitespace(f.substr(1, f.size() - 2));
    }
    if (f.find('"') != absl::string_view::npos) return false;
    fields->push_back(f);
    if (end == absl::string_view::npos) break;
    start = end + 1;
  }
  return true;
}

bool IsHex(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool IsDigitsOfLength(absl::string_view s, size_t min, size_t max) {
  return s.size() >= min && s.size() <= max && saip::IsDigits(s);
}

// The length of a value for messages that must not show it.
std::string Shape(absl::string_view v) {
  return absl::StrCat("(got ", v.size(), " characters)");
}

// A blank or comment line.
bool IsSkipped(absl::string_view line) {
  absl::string_view t = absl::StripLeadingAsciiWhitespace(line);
  return t.empty() || t.front() == '#';
}

}  // namespace

bool SubscriberCsvReader::has_msisdn() const { return index_[kMsisdn] >= 0; }
bool SubscriberCsvReader::has_acc() const { return index_[kAcc] >= 0; }

bool SubscriberCsvReader::NextLine(absl::string_view* line) {
  if (offset_ >= text_.size()) return false;
  size_t end = text_.find('\n', offset_);
  const size_t next = end == absl::string_view::npos ? text_.size() : end + 1;
  if (end == absl::string_view::npos) end = text_.size();
  *line = text_.substr(offset_, end - offset_);
  if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
  offset_ = next;
  ++line_;
  return true;
}

absl::StatusOr<SubscriberCsvReader> SubscriberCsvReader::Open(
    absl::string_view text, CsvOptions options) {
  if (options.separator != 0 && options.separator != ',' &&
      options.separator != ';' && options.separator != '\t') {
    return absl::InvalidArgumentError(
        "subscriber file: separator must be ',', ';' or TAB");
  }
  if (options.max_errors == 0) options.max_errors = 1;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  SubscriberCsvReader r(text, options);

  // The header line.
  absl::string_view header;
  bool found = false;
  while (r.NextLine(&header)) {
    if (header.size() > options.max_line_length) {
      return absl::InvalidArgumentError(
          absl::StrCat("subscriber file: line ", r.line_ - 1, ": longer than ",
                       options.max_line_length, " bytes"));
    }
    if (!IsSkipped(header)) {
      found = true;
      break;
    }
  }
  if (!found) {
    return absl::InvalidArgumentError(
        "subscriber file: no header line (the file is empty or only "
        "comments)");
  }
  const size_t header_line = r.line_ - 1;
  if (options.separator != 0) {
    r.separator_ = options.separator;
  } else {
    size_t best = 0;
    for (char c : {',', ';', '\t'}) {
      const size_t n = std::count(header.begin(), header.end(), c);
      if (n > best) {
        best = n;
        r.separator_ = c;
      }
    }
  }
  std::vector<absl::string_view> names;
  std::vector<std::string> header_errors;
  if (!SplitFields(header, r.separator_, &names)) {
    header_errors.push_back("a column name holds a quote");
  }
  r.field_count_ = names.size();
  r.index_.fill(-1);
  for (size_t i = 0; i < names.size(); ++i) {
    const int column = ColumnOf(names[i]);
    if (column < 0) {
      if (!names[i].empty()) r.ignored_.push_back(std::string(names[i]));
      continue;
    }
    if (r.index_[column] >= 0) {
      header_errors.push_back(
          absl::StrCat("column ", kColumns[column].name, " appears twice"));
    }
    r.index_[column] = static_cast<int>(i);
  }
  std::vector<std::string> missing;
  for (size_t c = 0; c < kColumnCount; ++c) {
    const bool required = kColumns[c].required ||
                          (kColumns[c].required_code && options.require_codes);
    if (required && r.index_[c] < 0) missing.push_back(kColumns[c].name);
  }
  if (!missing.empty()) {
    header_errors.push_back(
        absl::StrCat("missing column(s) ", absl::StrJoin(missing, ", ")));
  }
  if (!header_errors.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("subscriber file: header (line ", header_line,
                     "): ", absl::StrJoin(header_errors, "; "), " (separator '",
                     r.separator_ == '\t' ? std::string("TAB")
                                          : std::string(1, r.separator_),
                     "')"));
  }
  r.data_start_offset_ = r.offset_;
  r.data_start_line_ = r.line_;

  // Every data line, and duplicates across the file.
  std::vector<std::string> errors;
  absl::flat_hash_map<std::string, size_t> iccids;
  absl::flat_hash_map<std::string, size_t> imsis;
  bool truncated = false;
  absl::string_view line;
  while (r.NextLine(&line)) {
    if (errors.size() >= options.max_errors) {
      truncated = true;
      break;
    }
    const size_t number = r.line_ - 1;
    if (line.size() > options.max_line_length) {
      errors.push_back(absl::StrCat("line ", number, ": longer than ",
                                    options.max_line_length, " bytes"));
      continue;
    }
    if (IsSkipped(line)) continue;
    if (++r.row_count_ > options.max_rows) {
      errors.push_back(absl::StrCat("line ", number, ": more than ",
                                    options.max_rows, " rows"));
      truncated = true;
      break;
    }
    std::optional<SubscriberRow> row = r.ParseRow(line, number, &errors);
    if (!row.has_value()) continue;
    auto [iccid, new_iccid] = iccids.try_emplace(row->data.iccid, number);
    if (!new_iccid) {
      errors.push_back(absl::StrCat("line ", number, ": ICCID ",
                                    row->data.iccid, " duplicates line ",
                                    iccid->second));
    }
    auto [imsi, new_imsi] = imsis.try_emplace(row->data.imsi, number);
    if (!new_imsi) {
      errors.push_back(absl::StrCat("line ", number, ": IMSI ", row->data.imsi,
                                    " duplicates line ", imsi->second));
    }
  }
  if (!errors.empty()) {
    if (errors.size() > options.max_errors) errors.resize(options.max_errors);
    return absl::InvalidArgumentError(
        absl::StrCat("subscriber file: ", errors.size(), truncated ? "+" : "",
                     errors.size() == 1 ? " error" : " errors",
                     truncated ? " (stopped looking)" : "", ":\n",
                     absl::StrJoin(errors, "\n")));
  }
  if (r.row_count_ == 0) {
    return absl::InvalidArgumentError("subscriber file: no data rows");
  }
  r.offset_ = r.data_start_offset_;
  r.line_ = r.data_start_line_;
  return r;
}

std::optional<SubscriberRow> SubscriberCsvReader::ParseRow(
    absl::string_view line, size_t number,
    std::vector<std::string>* errors) const {
  const size_t errors_before = errors->size();
  auto error = [&](auto&&... parts) {
    errors->push_back(absl::StrCat("line ", number, ": ", parts...));
  };
  std::vector<absl::string_view> fields;
  if (!SplitFields(line, separator_, &fields)) {
    error("quotes inside a field are not supported");
    return std::nullopt;
  }
  // Accept one trailing separator the header did not have.
  if (fields.size() == field_count_ + 1 && fields.back().empty()) {
    fields.pop_back();
  }
  if (fields.size() != field_count_) {
    error(fields.size(), " fields, the header has ", field_count_);
    return std::nullopt;
  }
  auto field = [&](Column c) -> absl::string_view {
    return index_[c] < 0 ? absl::string_view() : fields[index_[c]];
  };

  SubscriberRow row;
  row.line = number;
  saip::SubscriberData& d = row.data;

  absl::string_view iccid = field(kIccid);
  if (iccid.size() == 20 && (iccid.back() == 'F' || iccid.back() == 'f')) {
    iccid.remove_suffix(1);  // 19 digits + BCD padding
  }
  if (!IsDigitsOfLength(iccid, 19, 20)) {
    error("ICCID '", absl::CHexEscape(field(kIccid)),
          "' must be 19 or 20 digits");
  } else if (options_.check_luhn && !saip::HasValidLuhn(iccid)) {
    error("ICCID ", iccid, ": the last digit is not the Luhn check digit (",
          saip::LuhnCheckDigit(iccid.substr(0, iccid.size() - 1)),
          " expected)");
  } else {
    d.iccid = std::string(iccid);
  }

  absl::string_view imsi = field(kImsi);
  if (!IsDigitsOfLength(imsi, 6, 15)) {
    error("IMSI '", absl::CHexEscape(imsi), "' must be 6 to 15 digits");
  } else {
    d.imsi = std::string(imsi);
  }

  struct Key {
    Column column;
    std::string* out;
  };
  for (const Key& k : {Key{kKi, &d.ki}, Key{kOpc, &d.opc}}) {
    absl::string_view v = field(k.column);
    if (v.size() != 32 || !IsHex(v)) {
      error(kColumns[k.column].name, " must be 32 hex digits ", Shape(v));
    } else {
      *k.out = absl::HexStringToBytes(v);
    }
  }

  struct Code {
    Column column;
    std::string* out;
    size_t min;
  };
  for (const Code& c : {Code{kPin1, &d.pin1, 4}, Code{kPin2, &d.pin2, 4},
                        Code{kPuk1, &d.puk1, 8}, Code{kPuk2, &d.puk2, 8}}) {
    absl::string_view v = field(c.column);
    if (v.empty() && !options_.require_codes) continue;
    if (!IsDigitsOfLength(v, c.min, 8)) {
      error(kColumns[c.column].name, " must be ",
            c.min == 8 ? "8 digits " : "4 to 8 digits ", Shape(v));
    } else {
      *c.out = std::string(v);
    }
  }
  absl::string_view adm = field(kAdm1);
  if (!adm.empty() || options_.require_codes) {
    absl::StatusOr<std::string> value = saip::EncodeAdmValue(adm);
    if (!value.ok()) {
      error("ADM1 must be 8 digits or 16 hex digits ", Shape(adm));
    } else {
      d.adm1 = *std::move(value);
    }
  }

  absl::string_view msisdn = field(kMsisdn);
  if (!msisdn.empty()) {
    absl::string_view digits =
        msisdn.front() == '+' ? msisdn.substr(1) : msisdn;
    if (!IsDigitsOfLength(digits, 1, saip::kMaxMsisdnDigits)) {
      error("MSISDN '", absl::CHexEscape(msisdn),
            "' must be '+' (optional) and 1 to 20 digits");
    } else {
      d.msisdn = std::string(msisdn);
    }
  }
  absl::string_view acc = field(kAcc);
  if (!acc.empty()) {
    if (acc.size() != 4 || !IsHex(acc)) {
      error("ACC '", absl::CHexEscape(acc), "' must be 4 hex digits");
    } else {
      d.acc = absl::HexStringToBytes(acc);
    }
  }
  if (errors->size() != errors_before) return std::nullopt;
  return row;
}

absl::StatusOr<std::vector<SubscriberRow>> SubscriberCsvReader::Next(
    size_t max_rows) {
  std::vector<SubscriberRow> rows;
  if (max_rows == 0) return rows;
  rows.reserve(std::min(max_rows, row_count_));
  std::vector<std::string> errors;
  absl::string_view line;
  while (rows.size() < max_rows && NextLine(&line)) {
    if (IsSkipped(line)) continue;
    std::optional<SubscriberRow> row = ParseRow(line, line_ - 1, &errors);
    if (!row.has_value()) {
      // Open() validated the file: the text changed under the reader.
      return absl::InternalError(
          absl::StrCat("subscriber file changed since Open(): ",
                       errors.empty() ? "" : errors.front()));
    }
    rows.push_back(*std::move(row));
  }
  return rows;
}

absl::Status SubscriberCsvReader::Seek(size_t position) {
  offset_ = data_start_offset_;
  line_ = data_start_line_;
  if (position < data_start_line_) {
    return absl::InvalidArgumentError(
        absl::StrCat("resume position ", position,
                     " is before the first data line ", data_start_line_));
  }
  absl::string_view line;
  while (line_ < position) {
    if (!NextLine(&line)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "resume position ", position, " is past the end of the file"));
    }
  }
  return absl::OkStatus();
}

}  // namespace smdp::profiles::preparation
