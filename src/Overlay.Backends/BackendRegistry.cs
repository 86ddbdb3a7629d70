using System.Diagnostics.CodeAnalysis;

namespace Overlay.Backends;

/// <summary>
/// Maps a configuration <c>Type</c> to its backend, case-insensitively. Backend packages add
/// themselves (through DI with <c>builder.AddHostGwBackend()</c>, or directly with <see cref="Add"/>).
/// </summary>
public sealed class BackendRegistry
{
    /// <summary>flannel's backend type names.</summary>
    public static IReadOnlyList<string> FlannelTypes { get; } = ["vxlan", "host-gw", "udp", "ipip", "ipsec", "alloc", "aws-vpc", "gce", "ali-vpc", "tencent-vpc"];

    private readonly Dictionary<string, IOverlayBackend> _backends = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _lock = new();

    /// <summary>Creates an empty registry.</summary>
    public BackendRegistry()
    {
    }

    /// <summary>Creates a registry holding <paramref name="backends"/> (the DI constructor).</summary>
    /// <exception cref="InvalidOperationException">Two backends answer to the same type.</exception>
    public BackendRegistry(IEnumerable<IOverlayBackend> backends)
    {
        ArgumentNullException.ThrowIfNull(backends);
        foreach (IOverlayBackend backend in backends)
        {
            Add(backend);
        }
    }

    /// <summary>The registered types, sorted.</summary>
    public IReadOnlyList<string> Types
    {
        get
        {
            lock (_lock)
            {
                return [.. _backends.Keys.Order(StringComparer.OrdinalIgnoreCase)];
            }
        }
    }

    /// <summary>Registers <paramref name="backend"/> under its <see cref="IOverlayBackend.Type"/>.</summary>
    /// <exception cref="InvalidOperationException">Another backend answers to the same type.</exception>
    public BackendRegistry Add(IOverlayBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentException.ThrowIfNullOrWhiteSpace(backend.Type, nameof(backend));
        lock (_lock)
        {
            if (_backends.TryGetValue(backend.Type, out IOverlayBackend? existing) && !ReferenceEquals(existing, backend))
            {
                if (existing.GetType() == backend.GetType())
                {
                    return this; // the same backend registered twice (e.g. two AddXBackend calls)
                }

                throw new InvalidOperationException($"Backend type '{backend.Type}' is already registered by {existing.GetType().FullName}.");
            }

            _backends[backend.Type] = backend;
        }

        return this;
    }

    /// <summary>Finds the backend for <paramref name="type"/> (case-insensitive).</summary>
    public bool TryGet(string type, [NotNullWhen(true)] out IOverlayBackend? backend)
    {
        ArgumentNullException.ThrowIfNull(type);
        lock (_lock)
        {
            return _backends.TryGetValue(type, out backend);
        }
    }

    /// <summary>Returns the backend for <paramref name="type"/>.</summary>
    /// <exception cref="BackendConfigException">No backend answers to the type; the message lists the registered ones.</exception>
    public IOverlayBackend Get(string type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (TryGet(type, out IOverlayBackend? backend))
        {
            return backend;
        }

        IReadOnlyList<string> types = Types;
        string registered = types.Count == 0 ? "none is registered" : "registered: " + string.Join(", ", types);
        string hint = FlannelTypes.Contains(type, StringComparer.OrdinalIgnoreCase)
            ? $" (add its package, e.g. Overlay.Backends.{PackageSuffix(type)}, and register it)"
            : string.Empty;
        throw new BackendConfigException(type.Length == 0 ? "(empty)" : type, "Backend.Type", $"unknown backend type '{type}'; {registered}{hint}");
    }

    private static string PackageSuffix(string type) => type.ToLowerInvariant() switch
    {
        "host-gw" => "HostGw",
        "ipip" => "IPIP",
        "ipsec" => "IPsec",
        "aws-vpc" => "AwsVpc",
        "ali-vpc" => "AliVpc",
        "tencent-vpc" => "TencentVpc",
        "gce" => "Gce",
        string other => char.ToUpperInvariant(other[0]) + other[1..],
    };
}
