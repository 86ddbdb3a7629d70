namespace Overlay.Backends;

/// <summary>
/// A problem of the node as a whole, not of one peer: a cloud route table that is full, credentials
/// the provider rejects, a key-exchange daemon that is down, a network configuration that is missing.
/// </summary>
/// <param name="Code">A stable identifier of the kind of problem (for example <c>RouteTableFull</c>,
/// <c>CredentialsRejected</c>, <c>NetworkConfigMissing</c>); one problem per code at a time.</param>
/// <param name="Message">What is wrong and, where known, what to do about it. Never a secret.</param>
/// <param name="Since">When the problem was first reported (a report with the same code and a new
/// message keeps this time).</param>
public sealed record NodeProblem(string Code, string Message, DateTimeOffset Since)
{
    /// <inheritdoc />
    public override string ToString() => $"{Code}: {Message}";
}
