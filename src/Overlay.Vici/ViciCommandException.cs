namespace Overlay.Vici;

/// <summary>
/// charon answered a command with failure (<c>success</c> not <c>yes</c>) or did not know the command; the message
/// carries charon's reason (<c>errmsg</c>). Not transient: the same request fails the same way.
/// </summary>
public sealed class ViciCommandException : ViciException
{
    /// <summary>Creates an exception.</summary>
    public ViciCommandException()
        : this("(unknown)", errorMessage: null)
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What failed.</param>
    public ViciCommandException(string message)
        : base(message)
    {
        Command = "(unknown)";
    }

    /// <summary>Creates an exception with a message and its cause.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause.</param>
    public ViciCommandException(string message, Exception innerException)
        : base(message, innerException)
    {
        Command = "(unknown)";
    }

    /// <summary>Creates an exception for a failed command.</summary>
    /// <param name="command">The command, e.g. <c>load-conn</c>.</param>
    /// <param name="errorMessage">charon's <c>errmsg</c>, or null when it gave none (or did not know the command).</param>
    /// <param name="unknownCommand">Whether charon does not know the command at all.</param>
    public ViciCommandException(string command, string? errorMessage, bool unknownCommand = false)
        : base(unknownCommand
            ? $"charon does not know the VICI command '{command}' (a plugin missing, or an older strongSwan)."
            : $"charon refused '{command}': {errorMessage ?? "no reason given"}", isTransient: false)
    {
        Command = command;
        ErrorMessage = errorMessage;
        IsUnknownCommand = unknownCommand;
    }

    /// <summary>The command that failed.</summary>
    public string Command { get; }

    /// <summary>charon's reason (<c>errmsg</c>), if it gave one.</summary>
    public string? ErrorMessage { get; }

    /// <summary>Whether charon answered "unknown command".</summary>
    public bool IsUnknownCommand { get; }
}
