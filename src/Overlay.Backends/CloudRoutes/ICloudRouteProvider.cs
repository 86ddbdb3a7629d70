using System.Net;

namespace Overlay.Backends.CloudRoutes;

/// <summary>
/// What a cloud provider (AWS VPC, GCE, AliCloud VPC, TencentCloud VPC, a third party's) supplies to
/// <see cref="CloudRouteNetwork"/>: who this instance is, which route tables matter, and single-route
/// operations. The engine owns ordering, idempotence, back-off, quota handling, clean-up, status and
/// metrics; a provider only translates. Implementations throw the provider's own exceptions and
/// explain them through <see cref="Classify"/>. Every call may be retried by the engine.
/// </summary>
public interface ICloudRouteProvider
{
    /// <summary>The backend type, for messages and metrics (<c>aws-vpc</c>, <c>gce</c>, …).</summary>
    string Type { get; }

    /// <summary>
    /// Checks the credentials and finds this instance — the route target whose address is the external
    /// interface's (an ENI, an instance link, an instance id). Called before the lease is taken.
    /// </summary>
    /// <param name="external">The node's external interface.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The identity.</returns>
    ValueTask<CloudRouteIdentity> GetIdentityAsync(ExternalInterface external, CancellationToken cancellationToken);

    /// <summary>
    /// Makes the instance able to forward pod traffic where the provider can do it (AWS: source/destination
    /// check off on the ENI); does nothing when nothing needs changing. Called before the lease is taken.
    /// </summary>
    /// <param name="identity">The identity.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task.</returns>
    ValueTask PrepareInstanceAsync(CloudRouteIdentity identity, CancellationToken cancellationToken);

    /// <summary>The route tables this node's route belongs in (configured or discovered); at least one.</summary>
    /// <param name="identity">The identity.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The tables' ids (GCE: one pseudo-table, the project).</returns>
    ValueTask<IReadOnlyList<string>> GetRouteTablesAsync(CloudRouteIdentity identity, CancellationToken cancellationToken);

    /// <summary>Every route of <paramref name="routeTable"/> (one describe call where the provider allows).</summary>
    /// <param name="routeTable">The table.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The routes.</returns>
    ValueTask<IReadOnlyList<CloudRoute>> ListRoutesAsync(string routeTable, CancellationToken cancellationToken);

    /// <summary>Creates the route <paramref name="destination"/> → <paramref name="target"/>.</summary>
    /// <param name="routeTable">The table.</param>
    /// <param name="destination">The destination (this node's subnet).</param>
    /// <param name="target">This instance.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task.</returns>
    ValueTask CreateRouteAsync(string routeTable, IPNetwork destination, CloudRouteIdentity target, CancellationToken cancellationToken);

    /// <summary>
    /// Points the existing route <paramref name="existing"/> at <paramref name="target"/> — in place where the
    /// provider can (AWS ReplaceRoute); a provider without an in-place replace deletes and creates inside.
    /// </summary>
    /// <param name="routeTable">The table.</param>
    /// <param name="existing">The route as listed.</param>
    /// <param name="target">This instance.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task.</returns>
    ValueTask ReplaceRouteAsync(string routeTable, CloudRoute existing, CloudRouteIdentity target, CancellationToken cancellationToken);

    /// <summary>Deletes <paramref name="route"/>.</summary>
    /// <param name="routeTable">The table.</param>
    /// <param name="route">The route as listed.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task.</returns>
    ValueTask DeleteRouteAsync(string routeTable, CloudRoute route, CancellationToken cancellationToken);

    /// <summary>Explains an exception one of the calls threw: its kind, a message without secrets, retry hints.</summary>
    /// <param name="exception">The exception.</param>
    /// <returns>The classification.</returns>
    CloudRouteError Classify(Exception exception);
}
