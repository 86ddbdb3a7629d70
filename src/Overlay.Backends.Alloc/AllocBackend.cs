using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Overlay.Subnets;

namespace Overlay.Backends.Alloc;

/// <summary>The <c>Backend</c> object when <c>Type</c> is <c>alloc</c>: no members.</summary>
public sealed record AllocBackendConfig
{
    /// <summary>The type name.</summary>
    public const string TypeName = "alloc";

    /// <summary>The <c>Type</c> member.</summary>
    public string? Type { get; init; }

    /// <summary>Members we do not model; written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? AdditionalMembers { get; set; }

    /// <summary>Parses the raw <c>Backend</c> JSON with flannel's rules.</summary>
    /// <exception cref="BackendConfigException">The JSON does not fit.</exception>
    public static AllocBackendConfig Parse(JsonElement? backend) =>
        BackendConfigParser.Parse(TypeName, backend, AllocJsonContext.Default.AllocBackendConfig);
}

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AllocBackendConfig))]
internal sealed partial class AllocJsonContext : JsonSerializerContext;

/// <summary>
/// flannel's alloc backend (spec backends §9): acquires a lease with the node's public address and
/// does nothing else — no device, no route, no peer watch. For clusters where something else routes
/// pod traffic (a cloud controller manager, a router) and only subnet allocation is wanted.
/// </summary>
public sealed class AllocBackend : IOverlayBackend
{
    /// <inheritdoc />
    public string Type => AllocBackendConfig.TypeName;

    /// <inheritdoc />
    public async ValueTask<IOverlayNetwork> RegisterNetworkAsync(NetworkRegistration registration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registration);
        registration.Validate();
        AllocBackendConfig.Parse(registration.Config.Backend);

        // flannel leaves BackendType empty for alloc; we do the same so mixed clusters see the same lease.
        LeaseAttributes attributes = registration.CreateLeaseAttributes(backendType: string.Empty);
        Lease lease = await registration.Registry.AcquireLeaseAsync(registration.CreateLeaseRequest(attributes), cancellationToken).ConfigureAwait(false);
        return new AllocNetwork(lease, registration.ExternalInterface.Mtu);
    }

    private sealed class AllocNetwork(Lease lease, int mtu) : IOverlayNetwork
    {
        public Lease Lease { get; } = lease;

        public int Mtu { get; } = mtu;

        public IReadOnlyList<PeerStatus> Peers => [];

        public event EventHandler<PeerStatusChangedEventArgs>? PeerStatusChanged
        {
            add { }
            remove { }
        }

        /// <summary>Nothing to program: ready at once.</summary>
        public Task Ready => Task.CompletedTask;

        public NodeStatus Status => NodeStatus.Healthy;

        public event EventHandler<NodeStatusChangedEventArgs>? StatusChanged
        {
            add { }
            remove { }
        }

        public Task RunAsync(CancellationToken cancellationToken) => Task.Delay(Timeout.Infinite, cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>Registration of the alloc backend.</summary>
public static class AllocOverlayBuilderExtensions
{
    /// <summary>Adds the alloc backend (type <c>alloc</c>).</summary>
    public static IOverlayBuilder AddAllocBackend(this IOverlayBuilder builder) => builder.AddBackend<AllocBackend>();
}
