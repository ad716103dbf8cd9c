#include "Screenshot.h"

#include <stb_image_write.h>

#include <vector>

#include "Commands.h"

namespace mm::ui {

namespace {
void appendToString(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
}
}  // namespace

std::string writeScreenshot(SDL_Renderer* renderer, const std::string& path) {
  int w = 0, h = 0;
  if (SDL_GetRendererOutputSize(renderer, &w, &h) != 0 || w <= 0 || h <= 0)
    return "--screenshot " + path + ": the renderer has no output size (" + SDL_GetError() + ").";
  std::vector<unsigned char> pixels(static_cast<size_t>(w) * h * 3);
  if (SDL_RenderReadPixels(renderer, nullptr, SDL_PIXELFORMAT_RGB24, pixels.data(), w * 3) != 0)
    return "--screenshot " + path + ": cannot read the pixels back (" + SDL_GetError() + ").";
  std::string png;
  if (!stbi_write_png_to_func(appendToString, &png, w, h, 3, pixels.data(), w * 3) || png.empty())
    return "--screenshot " + path + ": PNG encoding failed.";
  if (!writeFileAtomically(path, png))
    return "--screenshot " + path + ": cannot write the file (check that its folder exists and is writable).";
  return {};
}

}  // namespace mm::ui
