package app.vigil.ui.unlock

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import app.vigil.presentation.Strength
import app.vigil.presentation.unlock.PanicWipe
import app.vigil.presentation.unlock.UnlockIntent
import app.vigil.presentation.unlock.UnlockStage
import app.vigil.presentation.unlock.UnlockState
import app.vigil.ui.BigButton
import app.vigil.ui.ErrorLine
import app.vigil.ui.TextInput
import app.vigil.ui.VigilScreen
import app.vigil.ui.SecondaryButton

/** The words of the unlock screen, passed in by the host (its resources on Android). */
data class UnlockStrings(
    val appName: String = "Vigil",
    val checking: String = "Opening…",
    val firstRunTitle: String = "Set up Vigil",
    val firstRunBody: String = "Choose a passphrase. It encrypts everything Vigil keeps on this phone; nobody can recover it for you.",
    val passphrase: String = "Passphrase",
    val confirm: String = "Type it again",
    val mismatch: String = "The two do not match.",
    val create: String = "Create and open",
    val lockedTitle: String = "Vigil is locked",
    val unlock: String = "Unlock",
    val working: String = "Working…",
    val panic: String = "Panic wipe",
    val panicTitle: String = "Wipe everything?",
    val panicBody: String = "Every incident, walk, photo and key on this phone is destroyed. This cannot be undone. Type ${PanicWipe.WORD} to confirm.",
    val panicField: String = "Type ${PanicWipe.WORD}",
    val panicConfirm: String = "Wipe now",
    val cancel: String = "Cancel",
    val wipedTitle: String = "Wiped",
    val unlockedTitle: String = "Unlocked",
    val strength: String = "Strength",
    val biometric: String = "Unlock with fingerprint",
)

@Composable
fun UnlockScreen(state: UnlockState, onIntent: (UnlockIntent) -> Unit, strings: UnlockStrings = UnlockStrings()) {
    // No title of the scaffold's: each stage has its heading, and its error by the field.
    VigilScreen(null) {
        Text(strings.appName, style = MaterialTheme.typography.titleLarge, color = MaterialTheme.colorScheme.primary)
        val panic = state.panic
        if (panic != null) {
            PanicConfirmation(panic, state.busy, onIntent, strings)
        } else when (state.stage) {
            UnlockStage.CHECKING -> Text(strings.checking, style = MaterialTheme.typography.bodyLarge)
            UnlockStage.FIRST_RUN -> FirstRun(state, onIntent, strings)
            UnlockStage.LOCKED -> Locked(state, onIntent, strings)
            UnlockStage.UNLOCKED -> Heading(strings.unlockedTitle)
            UnlockStage.WIPED -> {
                Heading(strings.wipedTitle)
                state.error?.let { Text(it, style = MaterialTheme.typography.bodyLarge) }
            }
        }
    }
}

@Composable
private fun Heading(text: String) {
    Text(text, style = MaterialTheme.typography.headlineMedium, modifier = Modifier.semantics { heading() })
}

@Composable
private fun FirstRun(state: UnlockState, onIntent: (UnlockIntent) -> Unit, strings: UnlockStrings) {
    Heading(strings.firstRunTitle)
    Text(strings.firstRunBody, style = MaterialTheme.typography.bodyLarge)
    TextInput(state.passphrase, { onIntent(UnlockIntent.PassphraseChanged(it)) }, strings.passphrase, "passphrase", secret = true)
    state.strength?.let { StrengthMeter(it, strings) }
    TextInput(
        state.confirm, { onIntent(UnlockIntent.ConfirmChanged(it)) }, strings.confirm, "confirm",
        isError = state.confirmMismatch, secret = true,
    )
    if (state.confirmMismatch) Text(strings.mismatch, color = MaterialTheme.colorScheme.error)
    ErrorLine(state.error)
    BigButton(
        if (state.busy) strings.working else strings.create,
        { onIntent(UnlockIntent.Submit) },
        enabled = state.canSubmit,
        modifier = Modifier.testTag("submit"),
    )
}

@Composable
private fun StrengthMeter(strength: Strength, strings: UnlockStrings) {
    val color = when {
        strength.score <= 1 -> MaterialTheme.colorScheme.error
        !strength.acceptable -> Color(0xFFE0A000)
        else -> Color(0xFF2E9B4F)
    }
    Column(verticalArrangement = Arrangement.spacedBy(4.dp)) {
        LinearProgressIndicator(
            progress = { strength.fraction },
            color = color,
            modifier = Modifier.fillMaxWidth().height(10.dp),
        )
        Text("${strings.strength}: ${strength.words}", style = MaterialTheme.typography.bodyLarge, modifier = Modifier.testTag("strength"))
        strength.hint?.let { Text(it, style = MaterialTheme.typography.bodyMedium) }
    }
}

@Composable
private fun Locked(state: UnlockState, onIntent: (UnlockIntent) -> Unit, strings: UnlockStrings) {
    Heading(strings.lockedTitle)
    // First when offered: one touch, no typing with gloves off.
    if (state.biometric) {
        BigButton(strings.biometric, { onIntent(UnlockIntent.UnlockWithBiometric) }, enabled = state.canUseBiometric, modifier = Modifier.testTag("biometric"))
    }
    TextInput(
        state.passphrase, { onIntent(UnlockIntent.PassphraseChanged(it)) }, strings.passphrase, "passphrase",
        isError = state.error != null, secret = true,
    )
    ErrorLine(state.error)
    if (state.policyTampered) {
        // No silent unlock: the officer puts back the setting they want, with the passphrase.
        for (n in state.wipeChoices) {
            SecondaryButton(
                state.wipeWords(n), { onIntent(UnlockIntent.ConfirmPolicy(n)) },
                enabled = state.canSubmit, modifier = Modifier.testTag("confirm-policy-${n ?: "never"}"),
            )
        }
    } else {
        BigButton(
            if (state.busy) strings.working else strings.unlock,
            { onIntent(UnlockIntent.Submit) },
            enabled = state.canSubmit,
            modifier = Modifier.testTag("submit"),
        )
    }
    Spacer(Modifier.height(48.dp))
    SecondaryButton(strings.panic, { onIntent(UnlockIntent.PanicRequested) }, modifier = Modifier.testTag("panic"))
}

/** Full screen, not a dialog: it stays readable at 200 % font and cannot be tapped by accident. */
@Composable
private fun PanicConfirmation(panic: PanicWipe, busy: Boolean, onIntent: (UnlockIntent) -> Unit, strings: UnlockStrings) {
    Heading(strings.panicTitle)
    Text(strings.panicBody, style = MaterialTheme.typography.bodyLarge)
    TextInput(panic.typed, { onIntent(UnlockIntent.PanicTyped(it)) }, strings.panicField, "panic-word")
    BigButton(
        strings.panicConfirm,
        { onIntent(UnlockIntent.PanicConfirmed) },
        enabled = panic.armed && !busy,
        danger = true,
        modifier = Modifier.testTag("panic-confirm"),
    )
    Spacer(Modifier.height(24.dp))
    SecondaryButton(strings.cancel, { onIntent(UnlockIntent.PanicCancelled) }, modifier = Modifier.testTag("panic-cancel"))
}
