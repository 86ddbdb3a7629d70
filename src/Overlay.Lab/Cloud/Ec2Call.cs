using System.Collections.Immutable;

namespace Overlay.Lab.Cloud;

/// <summary>One request the <see cref="Ec2Double"/> received.</summary>
/// <param name="Action">The EC2 action (<c>CreateRoute</c>, …).</param>
/// <param name="Parameters">The form parameters (without <c>Action</c> and <c>Version</c>).</param>
/// <param name="Arrival">When it arrived, on the double's monotonic clock (time since the double started).</param>
/// <param name="Outcome"><c>ok</c>, an EC2 error code, or <c>timeout</c> (never answered).</param>
/// <param name="Region">The SigV4 region the request was signed for.</param>
public sealed record Ec2Call(string Action, ImmutableDictionary<string, string> Parameters, TimeSpan Arrival, string Outcome, string Region)
{
    /// <summary>True for actions that change state (create, replace, delete, modify).</summary>
    public bool IsWrite => Action is "CreateRoute" or "ReplaceRoute" or "DeleteRoute" or "ModifyNetworkInterfaceAttribute";

    /// <summary>A parameter's value, or null.</summary>
    /// <param name="name">The parameter (<c>RouteTableId</c>, <c>DestinationCidrBlock</c>, …).</param>
    /// <returns>The value.</returns>
    public string? this[string name] => Parameters.TryGetValue(name, out string? value) ? value : null;

    /// <inheritdoc />
    public override string ToString() => $"{Arrival.TotalMilliseconds:F1} ms {Action} {string.Join(' ', Parameters.Where(p => p.Key.StartsWith("RouteTableId", StringComparison.Ordinal) || p.Key.StartsWith("InstanceId", StringComparison.Ordinal) || p.Key.StartsWith("Filter", StringComparison.Ordinal) || p.Key is "DestinationCidrBlock" or "NetworkInterfaceId").OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value))} -> {Outcome}";
}
