// TomlWrite: the small pieces of TOML text the writers of presets, set lists, mappings
// and trigger profiles need. Written by hand (not toml++'s formatter) so that saved files keep a fixed, readable order with
// comments, as a performer would write them.
//
// Threads: any (pure functions).
#pragma once

#include <string>

namespace mm {

// A basic TOML string in double quotes, with escapes.
std::string tomlString(const std::string& s);
// A key: bare when it may be (letters, digits, _ and -), else quoted. Parameter ids with
// dots are therefore always quoted ("dim.0"), never read back as nested tables.
std::string tomlKey(const std::string& s);
// The shortest decimal that reads back as exactly the same float (resp. double), always
// with a decimal point or exponent so it stays a TOML float.
std::string tomlFloat(float v);
std::string tomlDouble(double v);
// A path as written into a file in `dir`: relative when it lies at most two folders up,
// so that a gig folder can be moved as a whole; else absolute.
std::string pathForFile(const std::string& absolutePath, const std::string& dir);

}  // namespace mm
