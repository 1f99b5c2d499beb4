package app.vigil.ui

import androidx.compose.material3.ColorScheme
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Typography
import androidx.compose.material3.darkColorScheme
import androidx.compose.material3.lightColorScheme
import androidx.compose.runtime.Composable
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.LocalDensity
import androidx.compose.ui.text.TextStyle
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp

/** Smallest touch target: gloves and a moving car want more than Material's 48 dp. */
val MinTouch = 56.dp

/** Outer padding of every screen. */
val ScreenPadding = 16.dp

private val Amber = Color(0xFFFFB300)
private val DeepRed = Color(0xFFB3261E)
private val NightRed = Color(0xFFFF8A80)

/** High contrast, muted at night: black background, amber accents, no bright white fields. */
private val Night: ColorScheme = darkColorScheme(
    primary = Amber,
    onPrimary = Color.Black,
    primaryContainer = Color(0xFF3A2C00),
    onPrimaryContainer = Color(0xFFFFE08A),
    secondary = Color(0xFF9ECAFF),
    onSecondary = Color.Black,
    background = Color.Black,
    onBackground = Color(0xFFE6E1D6),
    surface = Color(0xFF121212),
    onSurface = Color(0xFFE6E1D6),
    surfaceVariant = Color(0xFF2A2A2A),
    onSurfaceVariant = Color(0xFFCFC8B8),
    error = NightRed,
    onError = Color.Black,
    errorContainer = Color(0xFF5C1310),
    onErrorContainer = Color(0xFFFFDAD6),
    outline = Color(0xFF8F8A80),
)

private val Day: ColorScheme = lightColorScheme(
    primary = Color(0xFF5C4300),
    onPrimary = Color.White,
    primaryContainer = Color(0xFFFFDF9E),
    onPrimaryContainer = Color(0xFF261A00),
    secondary = Color(0xFF00497D),
    onSecondary = Color.White,
    background = Color(0xFFFFFBF5),
    onBackground = Color(0xFF1E1B16),
    surface = Color(0xFFFFFBF5),
    onSurface = Color(0xFF1E1B16),
    surfaceVariant = Color(0xFFEDE1CF),
    onSurfaceVariant = Color(0xFF4D4639),
    error = DeepRed,
    onError = Color.White,
    errorContainer = Color(0xFFF9DEDC),
    onErrorContainer = Color(0xFF410E0B),
    outline = Color(0xFF7F7667),
)

/**
 * Larger than Material's defaults: read at arm's length, in a car, in the dark. Headings
 * grow less than body text at large font scales (as Android 14's non-linear font scaling
 * does), so a long word such as "surveillance" still fits on one line at 200 %.
 */
private fun vigilType(fontScale: Float): Typography {
    // At 2x the body doubles; a 28 sp heading grows to about 1.4x.
    val damp = if (fontScale <= 1f) 1f else (1f + (fontScale - 1f) * 0.4f) / fontScale
    return Typography(
        headlineMedium = TextStyle(fontSize = (28 * damp).sp, fontWeight = FontWeight.Bold, lineHeight = (34 * damp).sp),
        // Never below the item titles under it (18 sp), or a section heading reads as small print.
        titleLarge = TextStyle(fontSize = maxOf(22 * damp, 19f).sp, fontWeight = FontWeight.SemiBold, lineHeight = maxOf(28 * damp, 25f).sp),
        titleMedium = TextStyle(fontSize = 18.sp, fontWeight = FontWeight.SemiBold, lineHeight = 24.sp),
        bodyLarge = TextStyle(fontSize = 18.sp, lineHeight = 26.sp),
        bodyMedium = TextStyle(fontSize = 16.sp, lineHeight = 22.sp),
        labelLarge = TextStyle(fontSize = 18.sp, fontWeight = FontWeight.SemiBold, lineHeight = 24.sp),
    )
}

/**
 * Vigil's theme. [dark] is decided by the host (the Android app: the system setting, and
 * dark by default at night; the desktop: a flag), never inside a screen.
 */
@Composable
fun VigilTheme(dark: Boolean, content: @Composable () -> Unit) {
    val fontScale = LocalDensity.current.fontScale
    MaterialTheme(colorScheme = if (dark) Night else Day, typography = vigilType(fontScale), content = content)
}
