package app.vigil.ui

import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material3.Button
import androidx.compose.material3.ButtonDefaults
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.ui.text.input.VisualTransformation

/** The main action of a screen: full width, tall, thumb-reachable. */
@Composable
fun BigButton(text: String, onClick: () -> Unit, modifier: Modifier = Modifier, enabled: Boolean = true, danger: Boolean = false) {
    val colors = if (danger) {
        ButtonDefaults.buttonColors(
            containerColor = MaterialTheme.colorScheme.error,
            contentColor = MaterialTheme.colorScheme.onError,
        )
    } else {
        ButtonDefaults.buttonColors()
    }
    Button(
        onClick = onClick,
        enabled = enabled,
        colors = colors,
        modifier = modifier.fillMaxWidth().heightIn(min = MinTouch),
    ) { Text(text, style = MaterialTheme.typography.labelLarge) }
}

@Composable
fun SecondaryButton(text: String, onClick: () -> Unit, modifier: Modifier = Modifier, enabled: Boolean = true) {
    OutlinedButton(
        onClick = onClick,
        enabled = enabled,
        modifier = modifier.fillMaxWidth().heightIn(min = MinTouch),
    ) { Text(text, style = MaterialTheme.typography.labelLarge) }
}

/**
 * The one text field of every screen: full width, at least [MinTouch] tall, the body's
 * large type, its [label] above what is typed, found by tests as [tag]. One line unless
 * [minLines] asks for more (a narrative); [type] picks the keyboard (no autocorrect on
 * addresses and codes); [secret] hides what is typed (a passphrase: no autocorrect either).
 */
@Composable
fun TextInput(
    value: String,
    onChange: (String) -> Unit,
    label: String,
    tag: String,
    type: KeyboardType = KeyboardType.Text,
    minLines: Int = 1,
    isError: Boolean = false,
    secret: Boolean = false,
) {
    OutlinedTextField(
        value = value,
        onValueChange = onChange,
        label = { Text(label) },
        singleLine = minLines == 1,
        minLines = minLines,
        isError = isError,
        visualTransformation = if (secret) PasswordVisualTransformation() else VisualTransformation.None,
        keyboardOptions = when {
            secret -> KeyboardOptions(keyboardType = KeyboardType.Password, autoCorrectEnabled = false)
            type == KeyboardType.Text -> KeyboardOptions.Default
            else -> KeyboardOptions(keyboardType = type, autoCorrectEnabled = false)
        },
        textStyle = MaterialTheme.typography.bodyLarge,
        modifier = Modifier.fillMaxWidth().heightIn(min = MinTouch).testTag(tag),
    )
}
