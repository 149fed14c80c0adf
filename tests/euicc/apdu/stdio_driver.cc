#include "tests/euicc/apdu/stdio_driver.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "tests/euicc/apdu/apdu.h"

namespace smdp::euicc::apdu {
namespace {

// A JSON value, as far as the protocol needs it.
struct Json {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  std::string text;  // a string's value, a number's or a bool's literal
  std::vector<std::pair<std::string, Json>> members;  // objects
  std::vector<Json> items;                            // arrays

  const Json* Member(absl::string_view name) const {
    for (const auto& [key, value] : members) {
      if (key == name) return &value;
    }
    return nullptr;
  }
};

// A strict RFC 8259 parser of one value, nested at most kMaxDepth deep.
class JsonParser {
 public:
  explicit JsonParser(absl::string_view in) : in_(in) {}

  absl::StatusOr<Json> ParseDocument() {
    Json value;
    if (!ParseValue(0, &value)) return Error();
    SkipSpace();
    if (pos_ != in_.size()) return Error();
    return value;
  }

 private:
  static constexpr int kMaxDepth = 32;

  absl::Status Error() const {
    return absl::InvalidArgumentError(
        absl::StrCat("not a JSON line (at byte ", pos_, ")"));
  }
  void SkipSpace() {
    while (pos_ < in_.size() && (in_[pos_] == ' ' || in_[pos_] == '\t' ||
                                 in_[pos_] == '\n' || in_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool Consume(absl::string_view literal) {
    if (in_.substr(pos_, literal.size()) != literal) return false;
    pos_ += literal.size();
    return true;
  }

  bool ParseValue(int depth, Json* out) {
    if (depth > kMaxDepth) return false;
    SkipSpace();
    if (pos_ >= in_.size()) return false;
    const char c = in_[pos_];
    if (c == '{') return ParseObject(depth, out);
    if (c == '[') return ParseArray(depth, out);
    if (c == '"') {
      out->kind = Json::Kind::kString;
      return ParseString(&out->text);
    }
    if (Consume("null")) {
      out->kind = Json::Kind::kNull;
      return true;
    }
    if (Consume("true") || Consume("false")) {
      out->kind = Json::Kind::kBool;
      return true;
    }
    return ParseNumber(out);
  }

  bool ParseObject(int depth, Json* out) {
    out->kind = Json::Kind::kObject;
    ++pos_;  // {
    SkipSpace();
    if (Consume("}")) return true;
    while (true) {
      SkipSpace();
      std::string key;
      if (pos_ >= in_.size() || in_[pos_] != '"' || !ParseString(&key)) {
        return false;
      }
      SkipSpace();
      if (!Consume(":")) return false;
      Json value;
      if (!ParseValue(depth + 1, &value)) return false;
      out->members.emplace_back(std::move(key), std::move(value));
      SkipSpace();
      if (Consume("}")) return true;
      if (!Consume(",")) return false;
    }
  }

  bool ParseArray(int depth, Json* out) {
    out->kind = Json::Kind::kArray;
    ++pos_;  // [
    SkipSpace();
    if (Consume("]")) return true;
    while (true) {
      Json value;
      if (!ParseValue(depth + 1, &value)) return false;
      out->items.push_back(std::move(value));
      SkipSpace();
      if (Consume("]")) return true;
      if (!Consume(",")) return false;
    }
  }

  bool ParseHex4(uint32_t* out) {
    if (pos_ + 4 > in_.size()) return false;
    *out = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = in_[pos_++];
      if (!absl::ascii_isxdigit(c)) return false;
      *out = (*out << 4) |
             static_cast<uint32_t>(absl::ascii_isdigit(c)
                                       ? c - '0'
                                       : absl::ascii_tolower(c) - 'a' + 10);
    }
    return true;
  }

  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  bool ParseString(std::string* out) {
    ++pos_;  // "
    while (pos_ < in_.size()) {
      const char c = in_[pos_++];
      if (c == '"') return true;
      if (static_cast<uint8_t>(c) < 0x20) return false;
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= in_.size()) return false;
      const char e = in_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out->push_back(e);
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          uint32_t cp = 0;
          if (!ParseHex4(&cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00) {
            uint32_t low = 0;
            if (!Consume("\\u") || !ParseHex4(&low) || low < 0xDC00 ||
                low >= 0xE000) {
              return false;
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp < 0xE000) {
            return false;
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  bool ParseNumber(Json* out) {
    const size_t start = pos_;
    auto digits = [&] {
      const size_t from = pos_;
      while (pos_ < in_.size() && absl::ascii_isdigit(in_[pos_])) ++pos_;
      return pos_ > from;
    };
    if (pos_ < in_.size() && in_[pos_] == '-') ++pos_;
    if (pos_ < in_.size() && in_[pos_] == '0') {
      ++pos_;
    } else if (!digits()) {
      return false;
    }
    if (pos_ < in_.size() && in_[pos_] == '.') {
      ++pos_;
      if (!digits()) return false;
    }
    if (pos_ < in_.size() && (in_[pos_] == 'e' || in_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < in_.size() && (in_[pos_] == '+' || in_[pos_] == '-')) ++pos_;
      if (!digits()) return false;
    }
    out->kind = Json::Kind::kNumber;
    out->text = std::string(in_.substr(start, pos_ - start));
    return true;
  }

  absl::string_view in_;
  size_t pos_ = 0;
};

// Hex text to bytes; nullopt unless it is an even number of hex digits.
std::optional<std::string> FromHex(absl::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  for (char c : hex) {
    if (!absl::ascii_isxdigit(c)) return std::nullopt;
  }
  return absl::HexStringToBytes(hex);
}

}  // namespace

absl::StatusOr<StdioMessage> ParseStdioMessage(absl::string_view line) {
  absl::StatusOr<Json> json = JsonParser(line).ParseDocument();
  if (!json.ok()) return json.status();
  if (json->kind != Json::Kind::kObject) {
    return absl::InvalidArgumentError("not a JSON object");
  }
  const Json* type = json->Member("type");
  const Json* payload = json->Member("payload");
  if (type == nullptr || type->kind != Json::Kind::kString) {
    return absl::InvalidArgumentError("no string \"type\"");
  }
  if (payload == nullptr || payload->kind != Json::Kind::kObject) {
    return absl::InvalidArgumentError("no object \"payload\"");
  }
  StdioMessage message;
  message.type = type->text;
  for (const auto& [key, value] : payload->members) {
    if (value.kind == Json::Kind::kString) {
      message.payload_strings[key] = value.text;
    } else if (value.kind == Json::Kind::kNull) {
      message.payload_strings[key] = std::nullopt;
    } else if (value.kind == Json::Kind::kArray &&
               std::all_of(value.items.begin(), value.items.end(),
                           [](const Json& item) {
                             return item.kind == Json::Kind::kString;
                           })) {
      std::vector<std::string>& list = message.payload_string_lists[key];
      for (const Json& item : value.items) list.push_back(item.text);
    }
  }
  return message;
}

std::string StdioApduAnswer(int ecode, std::optional<absl::string_view> data) {
  std::string out =
      absl::StrCat(R"({"type":"apdu","payload":{"ecode":)", ecode);
  if (data) {
    absl::StrAppend(&out, R"(,"data":")",
                    absl::AsciiStrToUpper(absl::BytesToHexString(*data)), "\"");
  }
  absl::StrAppend(&out, "}}");
  return out;
}

std::string StdioHttpAnswer(int rcode, absl::string_view body) {
  return absl::StrCat(R"({"type":"http","payload":{"rcode":)", rcode,
                      R"(,"rx":")", absl::BytesToHexString(body), "\"}}");
}

std::string StdioCardServer::Http(const StdioMessage& message) {
  // lpac takes an answer without rcode for a failed transport.
  const std::string failed = R"({"type":"http","payload":{}})";
  auto url = message.payload_strings.find("url");
  auto tx = message.payload_strings.find("tx");
  if (url == message.payload_strings.end() || !url->second ||
      tx == message.payload_strings.end() || !tx->second) {
    return failed;
  }
  std::optional<std::string> body = FromHex(*tx->second);
  if (!body) return failed;
  std::vector<std::string> headers;
  if (auto it = message.payload_string_lists.find("headers");
      it != message.payload_string_lists.end()) {
    headers = it->second;
  }
  absl::StatusOr<HttpExchange> answer =
      http_handler_(*url->second, *body, headers);
  if (!answer.ok()) return failed;
  return StdioHttpAnswer(answer->rcode, answer->body);
}

std::optional<std::string> StdioCardServer::HandleLine(absl::string_view line) {
  absl::StatusOr<StdioMessage> message = ParseStdioMessage(line);
  if (!message.ok()) return std::nullopt;
  if (message->type == "http" && http_handler_ &&
      message->payload_strings.count("url") > 0) {
    ++requests_;
    return Http(*message);
  }
  if (message->type != "apdu") return std::nullopt;
  auto func_it = message->payload_strings.find("func");
  // An answer line (ecode, no func) is not a request either.
  if (func_it == message->payload_strings.end()) return std::nullopt;
  ++requests_;
  const std::string func = func_it->second.value_or("");
  std::optional<std::string> param;
  if (auto it = message->payload_strings.find("param");
      it != message->payload_strings.end() && it->second) {
    param = FromHex(*it->second);
    if (!param) return StdioApduAnswer(-1);
  }

  if (func == "connect") {
    card_.Reset();
    disconnected_ = false;
    return StdioApduAnswer(0);
  }
  if (func == "disconnect") {
    card_.Reset();
    disconnected_ = true;
    return StdioApduAnswer(0);
  }
  if (func == "logic_channel_open") {
    return StdioApduAnswer(OpenChannel(param.value_or("")));
  }
  if (func == "logic_channel_close") {
    if (!param || param->size() != 1) return StdioApduAnswer(-1);
    CommandApdu close{.cla = 0x00,
                      .ins = kInsManageChannel,
                      .p1 = 0x80,
                      .p2 = static_cast<uint8_t>((*param)[0])};
    const uint16_t sw = StatusWord(card_.Transmit(close.Encode()));
    return StdioApduAnswer(sw == kSwOk ? 0 : -1);
  }
  if (func == "transmit") {
    if (!param) return StdioApduAnswer(-1);
    return StdioApduAnswer(0, card_.Transmit(*param));
  }
  return StdioApduAnswer(-1);
}

int StdioCardServer::OpenChannel(absl::string_view aid) {
  if (aid.empty() || aid.size() > 16) return -1;
  CommandApdu open{
      .cla = 0x00, .ins = kInsManageChannel, .p1 = 0x00, .p2 = 0x00, .le = 1};
  const std::string answer = card_.Transmit(open.Encode());
  if (StatusWord(answer) != kSwOk || ResponseData(answer).size() != 1) {
    return -1;
  }
  const int channel = static_cast<uint8_t>(answer[0]);
  CommandApdu select{.cla = ClaForChannel(0x00, channel),
                     .ins = kInsSelect,
                     .p1 = 0x04,
                     .p2 = 0x00,
                     .data = std::string(aid)};
  const uint16_t sw = StatusWord(card_.Transmit(select.Encode()));
  if (sw != kSwOk && (sw >> 8) != 0x61) {
    CommandApdu close{.cla = 0x00,
                      .ins = kInsManageChannel,
                      .p1 = 0x80,
                      .p2 = static_cast<uint8_t>(channel)};
    (void)card_.Transmit(close.Encode());
    return -1;
  }
  return channel;
}

}  // namespace smdp::euicc::apdu
