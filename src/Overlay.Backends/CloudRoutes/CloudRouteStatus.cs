using System.Collections.Immutable;

namespace Overlay.Backends.CloudRoutes;

/// <summary>A snapshot of a <see cref="CloudRouteNetwork"/>'s dealings with the provider.</summary>
/// <param name="Identity">This instance.</param>
/// <param name="Tables">Every table as the last reconcile saw it.</param>
/// <param name="ApiCalls">Calls by <c>operation/outcome</c> (<c>create/ok</c>, <c>list/Throttled</c>, …).</param>
/// <param name="Throttles">How many calls were throttled.</param>
/// <param name="LastReconcile">When the last reconcile finished (successfully or not); null before the first.</param>
/// <param name="LastReconcileError">Why the last reconcile failed; null when it succeeded.</param>
public sealed record CloudRouteStatus(
    CloudRouteIdentity Identity,
    ImmutableArray<CloudRouteTableStatus> Tables,
    ImmutableDictionary<string, long> ApiCalls,
    long Throttles,
    DateTimeOffset? LastReconcile,
    string? LastReconcileError)
{
    /// <summary>The number of calls for <paramref name="operation"/> (all outcomes when <paramref name="outcome"/> is null).</summary>
    /// <param name="operation">The engine operation (<c>create</c>, <c>replace</c>, <c>delete</c>, <c>list</c>, …).</param>
    /// <param name="outcome">The outcome (<c>ok</c> or a <see cref="CloudRouteErrorKind"/> name), or null.</param>
    /// <returns>The count.</returns>
    public long Calls(string operation, string? outcome = null) =>
        ApiCalls.Where(p => p.Key.StartsWith(operation + "/", StringComparison.Ordinal) && (outcome is null || p.Key.EndsWith("/" + outcome, StringComparison.Ordinal))).Sum(p => p.Value);
}
