// Screenshot: `--screenshot FILE.png` reads back what the renderer drew and saves it as a
// PNG (atomically: a temporary file, then a rename).
// Threads: main (UI) thread, after drawing a frame and before SDL_RenderPresent.
#pragma once

#include <SDL.h>

#include <string>

namespace mm::ui {

// Returns an empty string on success, else a message naming the file and what went wrong.
std::string writeScreenshot(SDL_Renderer* renderer, const std::string& path);

}  // namespace mm::ui
