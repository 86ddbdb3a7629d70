using System.Globalization;
using System.Text.Json;
using Amazon.Runtime;

namespace Overlay.Backends.AwsVpc.Internal;

/// <summary>The instance role's temporary credentials, read through our metadata client (IMDSv2, the configured
/// endpoint) and refreshed before they expire — so the SDK's own metadata lookups are never used.</summary>
internal sealed class InstanceRoleCredentials(InstanceMetadataClient metadata) : RefreshingAWSCredentials
{
    protected override CredentialsRefreshState GenerateNewCredentials() =>
        GenerateNewCredentialsAsync().GetAwaiter().GetResult();

    protected override async Task<CredentialsRefreshState> GenerateNewCredentialsAsync()
    {
        string roles = await metadata.GetAsync("iam/security-credentials/", CancellationToken.None).ConfigureAwait(false);
        string role = roles.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault()
            ?? throw new AwsVpcException(CloudRoutes.CloudRouteErrorKind.Unauthorized, "the instance has no IAM role (instance metadata iam/security-credentials/ is empty); attach one or set AccessKeyId and SecretAccessKey");
        string json = await metadata.GetAsync("iam/security-credentials/" + role, CancellationToken.None).ConfigureAwait(false);
        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        string Member(string name) => root.TryGetProperty(name, out JsonElement value) && value.GetString() is { Length: > 0 } text
            ? text
            : throw new AwsVpcException(CloudRoutes.CloudRouteErrorKind.Unauthorized, $"the instance role {role}'s credentials from instance metadata lack {name}");
        var credentials = new ImmutableCredentials(Member("AccessKeyId"), Member("SecretAccessKey"), Member("Token"));
        DateTime expiration = DateTime.Parse(Member("Expiration"), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        return new CredentialsRefreshState(credentials, expiration);
    }
}
