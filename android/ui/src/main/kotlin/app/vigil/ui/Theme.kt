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

/**
 * Vigil's colours, each role's day and night value side by side. Night is high contrast and
 * muted: black background, amber accents, no bright white fields.
 */
private fun vigilColors(dark: Boolean): ColorScheme {
    fun role(day: Long, night: Long) = Color(if (dark) night else day)
    val base = if (dark) darkColorScheme() else lightColorScheme()
    return base.copy(
        primary = role(0xFF5C4300, 0xFFFFB300),
        onPrimary = role(0xFFFFFFFF, 0xFF000000),
        primaryContainer = role(0xFFFFDF9E, 0xFF3A2C00),
        onPrimaryContainer = role(0xFF261A00, 0xFFFFE08A),
        secondary = role(0xFF00497D, 0xFF9ECAFF),
        onSecondary = role(0xFFFFFFFF, 0xFF000000),
        background = role(0xFFFFFBF5, 0xFF000000),
        onBackground = role(0xFF1E1B16, 0xFFE6E1D6),
        surface = role(0xFFFFFBF5, 0xFF121212),
        onSurface = role(0xFF1E1B16, 0xFFE6E1D6),
        surfaceVariant = role(0xFFEDE1CF, 0xFF2A2A2A),
        onSurfaceVariant = role(0xFF4D4639, 0xFFCFC8B8),
        error = role(0xFFB3261E, 0xFFFF8A80),
        onError = role(0xFFFFFFFF, 0xFF000000),
        errorContainer = role(0xFFF9DEDC, 0xFF5C1310),
        onErrorContainer = role(0xFF410E0B, 0xFFFFDAD6),
        outline = role(0xFF7F7667, 0xFF8F8A80),
    )
}

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
    MaterialTheme(colorScheme = vigilColors(dark), typography = vigilType(fontScale), content = content)
}
