// Built when the UI is not part of this build (MM_BUILD_UI=OFF): perform runs headless.
#include "Ui.h"

namespace mm {
bool uiAvailable() { return false; }
int runUi(App&, double) { return 0; }
}  // namespace mm
