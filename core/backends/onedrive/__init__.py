"""OneDrive / SharePoint through Microsoft Graph."""
